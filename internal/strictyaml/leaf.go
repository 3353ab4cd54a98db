package strictyaml

import (
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

// leaf reports whether values of type t decode as a whole: they unmarshal
// themselves, or are a duration or a scalar.
func leaf(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	if p.Implements(unmarshalerType) || p.Implements(textType) || t == durationType {
		return true
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Array, reflect.Map:
		return false
	}
	return true
}

// checkLeaf reports n if it does not decode into a t, or decodes only by
// a conversion yaml.v3 allows and a config must not: a number with a
// fraction or an exponent truncated into an integer (baud: 1.5), a string
// taken for a boolean ("yes", quoted or not: YAML 1.1's).
func checkLeaf(n *yaml.Node, t reflect.Type, path string) []error {
	if err := n.Decode(reflect.New(t).Interface()); err != nil || loose(n, t) {
		return []error{problem(path, n, "%s is not %s", shown(n), expected(t))}
	}
	return nil
}

// loose reports a scalar that yaml.v3 decodes into t by such a conversion.
func loose(n *yaml.Node, t reflect.Type) bool {
	p := reflect.PointerTo(t)
	if n.Kind != yaml.ScalarNode || p.Implements(unmarshalerType) || p.Implements(textType) {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return n.ShortTag() == "!!float"
	case reflect.Bool:
		return n.ShortTag() != "!!bool"
	}
	return false
}

// shown is n's value as a problem shows it.
func shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	if len(n.Value) > 40 {
		return fmt.Sprintf("%q...", n.Value[:40])
	}
	return fmt.Sprintf("%q", n.Value)
}

// expected says what a value of type t must be.
func expected(t reflect.Type) string {
	if t == durationType {
		return "a duration (e.g. 250ms, 5s, 1h)"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a " + t.String()
}
