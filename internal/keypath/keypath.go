// Package keypath names the problems of a configuration by their key path,
// e.g. "fixture.baud" or "fixture.queries[1].name", in one form: a
// section's Validate returns paths relative to its struct, and the section
// that holds it prefixes them once (Under). Decode problems (unknown keys,
// values of the wrong type) and Validate's are reported together by Report.
package keypath

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one problem under its key path.
type Error struct {
	Path string // e.g. "fixture.baud"; "" for the whole file
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Setting is a problem of a value the file did not give: one an
// environment variable or a flag set (Name "AMQP_URL", "--url"). It is
// named as the user gave it, never put under a section's path: the user
// never wrote that key.
type Setting struct {
	Name string
	Err  error
}

func (e *Setting) Error() string { return e.Name + ": " + e.Err.Error() }

func (e *Setting) Unwrap() error { return e.Err }

// Errorf is a problem of the key at path.
func Errorf(path, format string, args ...any) error {
	return &Error{Path: path, Err: fmt.Errorf(format, args...)}
}

// Join joins problems (nil ones dropped, errors.Join ones flattened) into
// one error whose Unwrap lists each, one a line; nil if there are none.
func Join(errs ...error) error {
	var out []error
	for _, err := range errs {
		out = append(out, list(err)...)
	}
	return errors.Join(out...)
}

// Under returns err's problems (errors.Join, nested or not) each under
// prefix: "baud" under "fixture" is "fixture.baud"; a problem without a
// path is prefix's own; a *Setting stays as it is.
func Under(prefix string, err error) error {
	var out []error
	for _, e := range list(err) {
		switch ke := e.(type) {
		case *Error:
			out = append(out, &Error{Path: Child(prefix, ke.Path), Err: ke.Err})
		case *Setting:
			out = append(out, ke)
		default:
			out = append(out, &Error{Path: prefix, Err: e})
		}
	}
	return errors.Join(out...)
}

// Child is the path of key (a name, an index "[2]", or a relative path)
// under parent.
func Child(parent, key string) string {
	switch {
	case parent == "":
		return key
	case key == "":
		return parent
	case strings.HasPrefix(key, "["):
		return parent + key
	}
	return parent + "." + key
}

// Index is the path of a list's i-th item.
func Index(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// list flattens err's joined problems; nil for none.
func list(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, list(e)...)
	}
	return out
}
