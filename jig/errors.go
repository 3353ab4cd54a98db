package jig

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrUnavailable means the port is missing, unplugged, or cannot be opened.
// It is returned wrapped with the port's path and the cause.
var ErrUnavailable = errors.New("serial port unavailable")

// ErrTimeout means the board did not answer a command in time. It is
// returned wrapped with the command and the timeout.
var ErrTimeout = errors.New("serial timeout")

// FixtureError means the board answered, but not with a usable answer:
// either it reported an error (an answer starting with "ERR"), or it sent
// bytes that are not a protocol line (non-printable bytes, or a line longer
// than Config.MaxLine); Reason then says which, and Answer holds a bounded
// excerpt of what was received, escaped as in a Go string literal.
type FixtureError struct {
	Command string // the command that was answered
	Answer  string // the answer line, or an escaped excerpt of the bad bytes
	Reason  string // empty for an ERR answer; else what was wrong
}

func (e *FixtureError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("jig: bad answer to %q: %s (received \"%s\")", e.Command, e.Reason, e.Answer)
	}
	return fmt.Sprintf("jig: fixture error: %q answered %q", e.Command, e.Answer)
}

// errClosed is returned by Status after Close.
var errClosed = errors.New("device closed")

func unavailable(path string, cause error) error {
	return fmt.Errorf("jig: %s: %w: %w", path, ErrUnavailable, cause)
}

func timeout(cmd string, d time.Duration, got int) error {
	if got > 0 {
		return fmt.Errorf("jig: %q: %w: unterminated answer (%d bytes, no line end) within %s", cmd, ErrTimeout, got, d)
	}
	return fmt.Errorf("jig: %q: %w: no answer within %s", cmd, ErrTimeout, d)
}

// excerptLen bounds FixtureError.Answer for bad bytes.
const excerptLen = 64

// excerpt is the first excerptLen bytes of b, escaped as in a Go string
// literal (printable ASCII only, so safe in logs and JSON), with "..." if
// cut.
func excerpt(b []byte) string {
	more := ""
	if len(b) > excerptLen {
		b, more = b[:excerptLen], "..."
	}
	q := strconv.QuoteToASCII(string(b))
	return q[1:len(q)-1] + more
}
