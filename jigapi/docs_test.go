package jigapi_test

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// The contract as docs/protocol.md documents it: per method, whether it is
// served on _all, and the type of every argument and result field, by path.
type docMethod struct {
	broadcast    string // "yes" or "no", from "Served on `_all`: ..."
	args, result map[string]string
}

// TestProtocolDocMatchesContract checks docs/protocol.md against the
// contract: every method documented with every field of its argument and
// result and the field's JSON type, nothing documented that does not exist,
// and the table of error codes.
func TestProtocolDocMatchesContract(t *testing.T) {
	doc := readDoc(t)
	methods := docMethods(doc)
	for _, m := range jigapi.Methods() {
		d, ok := methods[m.Name]
		if !ok {
			t.Errorf("docs/protocol.md: method %s is not documented (### %s under ## Methods)", m.Name, m.Name)
			continue
		}
		delete(methods, m.Name)
		if want := map[bool]string{true: "yes", false: "no"}[m.Broadcast]; d.broadcast != want {
			t.Errorf("docs/protocol.md: %s: says served on _all %q, the contract says %q", m.Name, d.broadcast, want)
		}
		compareFields(t, m.Name+" argument", fieldsOf(m.Args), d.args)
		compareFields(t, m.Name+" result", fieldsOf(m.Result), d.result)
	}
	for name := range methods {
		t.Errorf("docs/protocol.md documents method %s, which the contract does not have", name)
	}
	if got := docCodes(doc); !slices.Equal(got, jigapi.Codes) {
		t.Errorf("docs/protocol.md's code table lists %v, the contract %v", got, jigapi.Codes)
	}
}

func readDoc(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(b), "\n")
}

func compareFields(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for path, typ := range want {
		switch doc, ok := got[path]; {
		case !ok:
			t.Errorf("docs/protocol.md: %s field `%s` (%s) is not documented", what, path, typ)
		case !strings.HasPrefix(doc, typ):
			t.Errorf("docs/protocol.md: %s field `%s` is documented as %q, it is %s", what, path, doc, typ)
		}
	}
	for path := range got {
		if _, ok := want[path]; !ok {
			t.Errorf("docs/protocol.md documents %s field `%s`, which does not exist", what, path)
		}
	}
}

// fieldsOf lists the JSON fields of struct type t by path ("a.b"; a map of
// structs adds "*" for its keys), with their JSON type.
func fieldsOf(t reflect.Type) map[string]string {
	out := map[string]string{}
	walkFields(t, "", out)
	return out
}

var timeType = reflect.TypeFor[time.Time]()

func walkFields(t reflect.Type, prefix string, out map[string]string) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			walkFields(f.Type, prefix, out)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = f.Name
		}
		path := prefix + name
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out[path] = jsonType(ft)
		switch {
		case ft.Kind() == reflect.Struct && ft != timeType:
			walkFields(ft, path+".", out)
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Struct:
			walkFields(ft.Elem(), path+".*.", out)
		}
	}
}

func jsonType(t reflect.Type) string {
	switch {
	case t == timeType:
		return "time"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Slice:
		return "array"
	}
	return "object"
}
