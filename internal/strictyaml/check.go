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
// given twice, the values that do not decode.
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
		var errs []error
		for i := 0; i+1 < len(n.Content); i += 2 {
			errs = append(errs, check(n.Content[i+1], t.Elem(), keypath.Child(path, n.Content[i].Value))...)
		}
		return errs
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
	seen := map[string]*yaml.Node{}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := keypath.Child(path, k.Value)
		ft, known := fields[k.Value]
		switch {
		case seen[k.Value] != nil:
			errs = append(errs, problem(key, k, "repeated key, first at line %d", seen[k.Value].Line))
		case !known:
			errs = append(errs, problem(key, k, "unknown key"))
		default:
			errs = append(errs, check(v, ft, key)...)
		}
		seen[k.Value] = k
	}
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
