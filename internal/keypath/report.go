package keypath

import (
	"errors"
	"strings"
)

// DecodeError is what a strict decode found wrong in a file whose other
// keys decoded: unknown keys and values of the wrong type, each an *Error.
// Report them with Validate's problems.
type DecodeError struct {
	Problems []error
}

func (d *DecodeError) Error() string { return errors.Join(d.Problems...).Error() }

func (d *DecodeError) Unwrap() []error { return d.Problems }

// Partial reports whether err is nil or a *DecodeError: whether the
// configuration decoded enough to be validated too. Any other error (a
// file that cannot be read or parsed) ends the check.
func Partial(err error) bool {
	var d *DecodeError
	return err == nil || errors.As(err, &d)
}

// Report joins every problem of a configuration: decoded's (nil or a
// *DecodeError), then validated's, except those at or under a path whose
// value did not decode, which Validate saw as its default and would
// misreport.
func Report(decoded, validated error) error {
	var d *DecodeError
	if !errors.As(decoded, &d) {
		return Join(decoded, validated)
	}
	out := append([]error{}, d.Problems...)
	for _, e := range list(validated) {
		if !d.covers(e) {
			out = append(out, e)
		}
	}
	return errors.Join(out...)
}

// covers reports whether e is at or under a path of d's problems.
func (d *DecodeError) covers(e error) bool {
	ke, ok := e.(*Error)
	if !ok || ke.Path == "" {
		return false
	}
	for _, p := range d.Problems {
		dp, ok := p.(*Error)
		if ok && dp.Path != "" && within(ke.Path, dp.Path) {
			return true
		}
	}
	return false
}

// within reports whether path is parent or under it.
func within(path, parent string) bool {
	rest, ok := strings.CutPrefix(path, parent)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}
