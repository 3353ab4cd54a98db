// Package strictyaml decodes the daemons' YAML configuration files
// strictly, reporting every problem at once under its key path: a key the
// configuration has no field for, a value of the wrong type, a key given
// twice. The rest of the file still decodes, so that Validate can report
// its own problems too (keypath.Report).
package strictyaml

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/jigmq/jigmq/internal/keypath"
	"gopkg.in/yaml.v3"
)

// Decode reads the YAML document data over v's values (v a pointer to a
// struct); an empty document changes nothing. Unknown keys, values of the
// wrong type and repeated keys are a *keypath.DecodeError, one
// *keypath.Error per key, the rest of data decoded; a document that does
// not parse is a plain error.
func Decode(data []byte, v any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if doc.Kind == 0 {
		return nil // empty
	}
	// check first: it drops the repeated keys from doc, around which
	// yaml.v3 would decode nothing of their mapping. check reports the
	// unknown keys, which decoding doc skips.
	problems := check(&doc, reflect.TypeOf(v).Elem(), "")
	err := doc.Decode(v)
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		return err
	}
	if len(problems) == 0 && te != nil {
		// What yaml.v3 found and check did not: reported as it says.
		for _, msg := range te.Errors {
			problems = append(problems, &keypath.Error{Err: errors.New(msg)})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &keypath.DecodeError{Problems: problems}
}

// problem is the problem of node n at path.
func problem(path string, n *yaml.Node, format string, args ...any) error {
	return keypath.Errorf(path, "%s (line %d)", fmt.Sprintf(format, args...), n.Line)
}

// DecodeFile is Decode of the file at path over v ("": nothing to read).
// Its *keypath.DecodeError comes as it is, with the rest of the file
// decoded; a file that does not parse is an error naming path, and one
// that cannot be read is os.ReadFile's error.
func DecodeFile(path string, v any) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err = Decode(data, v); !keypath.Partial(err) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}
