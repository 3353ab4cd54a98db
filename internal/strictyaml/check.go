package strictyaml

import (
	"encoding"
	"reflect"
	"strings"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
	"gopkg.in/yaml.v3"
)

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

// check lists the problems of decoding n into a value of type t, each
// under its key path below path: the keys t has no field for, the keys
// given twice, the values that do not decode. It drops the keys given
// twice from n (see eachKey), so that n then decodes whole.
func check(n *yaml.Node, t reflect.Type, path string) []error {
	n = resolve(n)
	if n == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Tag == "!!null" || leaf(t) {
		return checkLeaf(n, t, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		return checkStruct(n, t, path)
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return []error{problem(path, n, "%s is not a list", shown(n))}
		}
		var errs []error
		for i, item := range n.Content {
			errs = append(errs, check(item, t.Elem(), keypath.Index(path, i))...)
		}
		return errs
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return []error{problem(path, n, "%s is not a mapping", shown(n))}
		}
		return eachKey(n, path, func(_, v *yaml.Node, key string) []error {
			return check(v, t.Elem(), key)
		})
	}
	return checkLeaf(n, t, path)
}

// resolve is the node n stands for: a document's content, an alias's
// anchor; nil for an empty document.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) == 0 {
			return nil
		} else {
			n = n.Content[0]
		}
	}
	return n
}

// checkStruct checks a mapping's keys against struct t's fields.
func checkStruct(n *yaml.Node, t reflect.Type, path string) []error {
	if n.Kind != yaml.MappingNode {
		return []error{problem(path, n, "%s is not a mapping", shown(n))}
	}
	fields := fieldsOf(t)
	return eachKey(n, path, func(k, v *yaml.Node, key string) []error {
		ft, known := fields[k.Value]
		if !known {
			return []error{problem(key, k, "unknown key")}
		}
		return check(v, ft, key)
	})
}

// eachKey calls fn for each key of mapping n, in order, with its value and
// its path, and reports each key given again instead, dropping it, and its
// value, from n. yaml.v3 decodes no part of a mapping that has a key
// twice: every key in it, and under it, would keep its default, and the
// required ones be reported missing though the file sets them. This is
// the one place a repeated key is handled, for a struct's keys and a
// map's alike; the first stays, as the problem names it.
func eachKey(n *yaml.Node, path string, fn func(k, v *yaml.Node, key string) []error) []error {
	var errs []error
	seen := map[string]*yaml.Node{}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := keypath.Child(path, k.Value)
		if first := seen[k.Value]; first != nil {
			errs = append(errs, problem(key, k, "repeated key, first at line %d", first.Line))
			continue
		}
		seen[k.Value] = k
		kept = append(kept, k, v)
		errs = append(errs, fn(k, v, key)...)
	}
	n.Content = kept
	return errs
}

// fieldsOf maps the keys of struct t to their fields' types, the keys of
// ",inline" structs included, as yaml.v3 names them.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous { // yaml.v3 inlines unexported embedded structs too
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
			continue
		case strings.Contains(","+opts+",", ",inline,"):
			for k, ft := range fieldsOf(f.Type) {
				out[k] = ft
			}
			continue
		case name == "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}
