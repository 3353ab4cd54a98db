// Package cli holds what the commands share: exit codes carried by errors.
package cli

import (
	"errors"
	"fmt"
	"io"
)

// ExitError carries a process exit code. Its message has already been
// printed when Quiet is set.
type ExitError struct {
	Code  int
	Err   error
	Quiet bool
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit wraps err with an exit code.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// Silent is an exit code whose story has been told already.
func Silent(code int) error { return &ExitError{Code: code, Quiet: true} }

// Finish prints err (unless it was printed already) on stderr, prefixed
// with the command's name, and returns the exit code: 0 for nil, the
// ExitError's code, or 1.
func Finish(name string, err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	code := 1
	var ee *ExitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Quiet || ee.Err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	return code
}
