package mqmanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/jigmq/jigmq/jigapi"
)

var byteOrderMark = []byte("\xef\xbb\xbf")

// Decode parses the body, which must be one JSON object, into v, strictly:
// keys match v's field names exactly (encoding/json alone would take "N"
// for "n"), a key given twice is an error (it would take the last), and so
// are unknown fields, wrong types and trailing data. An empty body is taken
// as {}. The error is an *jigapi.Error with jigapi.CodeBadRequest, ready to be returned
// by a handler.
func (r *Request) Decode(v any) error {
	if bytes.HasPrefix(r.Body, byteOrderMark) {
		return jigapi.Errorf(jigapi.CodeBadRequest, "body starts with a UTF-8 byte-order mark; send JSON without it")
	}
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' {
		return jigapi.Errorf(jigapi.CodeBadRequest, "body must be a JSON object")
	}
	if emptyObject(body) {
		return nil // {}: nothing to set or check, the common case of most methods
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jigapi.Errorf(jigapi.CodeBadRequest, "invalid JSON body: %v", plainJSONError(err))
	}
	if dec.More() {
		return jigapi.Errorf(jigapi.CodeBadRequest, "invalid JSON body: trailing data after the object")
	}
	if err := checkKeys(json.NewDecoder(bytes.NewReader(body)), reflect.TypeOf(v)); err != nil {
		return jigapi.Errorf(jigapi.CodeBadRequest, "invalid JSON body: %v", err)
	}
	return nil
}

// plainJSONError says a wrong type in the caller's words, not Go's:
// encoding/json names the Go struct and type ("cannot unmarshal number 1e30
// into Go struct field FibArgs.n of type int"); the caller sent "n".
func plainJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) || te.Field == "" {
		return err
	}
	want := te.Type.Kind().String()
	switch te.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		want = "an integer in range"
	case reflect.Float32, reflect.Float64:
		want = "a number"
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want = "true or false"
	case reflect.Struct, reflect.Map:
		want = "an object"
	case reflect.Slice, reflect.Array:
		want = "an array"
	}
	return fmt.Errorf("%q: %s is not %s", te.Field, te.Value, want)
}

// checkKeys walks one JSON value, which encoding/json has already decoded
// into a t, and checks what it let pass: keys given twice, at any depth,
// and keys of a struct that match a field only without case. A nil t
// (any, json.RawMessage, a type with its own UnmarshalJSON) has no fields.
func checkKeys(dec *json.Decoder, t reflect.Type) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	t = plain(t)
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, t)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := checkKeys(dec, elem); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

func checkObject(dec *json.Decoder, t reflect.Type) error {
	fields := fieldTypes(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("key %q given twice", key)
		}
		seen[key] = true
		var vt reflect.Type
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				return fmt.Errorf("unknown field %q (keys are case-sensitive%s)", key, didYouMean(fields, key))
			}
			vt = ft
		} else if t != nil && t.Kind() == reflect.Map {
			vt = t.Elem()
		}
		if err := checkKeys(dec, vt); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// plain is t without pointers, or nil when its fields are not JSON keys.
func plain(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshaler) {
		return nil
	}
	return t
}

// fieldTypes maps a struct's JSON keys to their types (nil for a non-struct).
// emptyObject reports whether body, which starts with '{', is {} with at
// most white space inside.
func emptyObject(body []byte) bool {
	return body[len(body)-1] == '}' && len(bytes.TrimSpace(body[1:len(body)-1])) == 0
}

// fields caches fieldTypes by type: a request's arguments are of a few
// types, decoded over and over.
var fields sync.Map // reflect.Type -> map[string]reflect.Type

func fieldTypes(t reflect.Type) map[string]reflect.Type {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	if m, ok := fields.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := structFields(t)
	fields.Store(t, m)
	return m
}

// structFields maps the JSON keys of struct type t to their fields' types.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() || (f.Anonymous && name == "" && plain(f.Type) != nil &&
			plain(f.Type).Kind() == reflect.Struct):
			continue // embedded structs' fields are visible fields themselves
		case name == "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func didYouMean(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf(": did you mean %q?", name)
		}
	}
	return ""
}
