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
// either it reported an error (an answer starting with "ERR"), or what
// arrived does not provably answer the command: bytes that are not a
// protocol line (non-printable bytes, or a line longer than
// Config.MaxLine), an answer that does not match its query's pattern, a
// banner, a blank or unexpected line, a missing echo, or a
// re-synchronisation that failed. Reason then says which, and Answer holds
// a bounded excerpt of what was received, escaped as in a Go string
// literal.
type FixtureError struct {
	Query   string // the query's name, for a status read; "" for Device.Do
	Command string // the command that was answered
	Answer  string // the answer line, or an escaped excerpt of the bad bytes
	Reason  string // empty for an ERR answer; else what was wrong
	// refused: a whole line came and was refused as the answer (not an ERR
	// answer, not bytes that are no line): the answer may still come.
	refused bool
}

func (e *FixtureError) Error() string {
	q := ""
	if e.Query != "" {
		q = " (query " + e.Query + ")"
	}
	if e.Reason != "" {
		return fmt.Sprintf("jig: bad answer to %q%s: %s (received \"%s\")", e.Command, q, e.Reason, e.Answer)
	}
	return fmt.Sprintf("jig: fixture error: %q%s answered %q", e.Command, q, e.Answer)
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

// framer cuts a byte stream into one answer line. It accepts "\n" and
// "\r\n" as line ends, and refuses, as soon as they arrive, any byte that
// is not printable ASCII (or a tab) and any line longer than max bytes, so
// noise or a runaway board is reported at once and never buffered without
// bound.
type framer struct {
	max  int
	line []byte
	cr   bool // the previous byte was '\r'
}

func newFramer(max int) *framer { return &framer{max: max, line: make([]byte, 0, 128)} }

// reset forgets any partial line.
func (f *framer) reset() { f.line, f.cr = f.line[:0], false }

// pending is the number of bytes of the unfinished line.
func (f *framer) pending() int { return len(f.line) }

// feed consumes p up to the end of the first complete line. It returns
// the number of bytes used and, once a line is complete, done with the line
// (without its terminator); the bytes after it are the caller's, who must
// not take them for the same answer. A non-empty reason means the input is
// not a protocol line; bad is then an excerpt of what was received.
func (f *framer) feed(p []byte) (used int, line string, done bool, reason, bad string) {
	for i, c := range p {
		switch {
		case c == '\n':
			line = string(f.line)
			f.reset()
			return i + 1, line, true, "", ""
		case f.cr:
			return i, "", false, "carriage return inside the line", f.badExcerpt(p[i:])
		case c == '\r':
			f.cr = true
			continue
		case !printableByte(c):
			return i, "", false, fmt.Sprintf("non-printable byte 0x%02x after %d bytes", c, len(f.line)), f.badExcerpt(p[i:])
		case len(f.line) >= f.max:
			return i, "", false, fmt.Sprintf("line longer than max_line %d bytes", f.max), f.badExcerpt(nil)
		}
		f.line = append(f.line, c)
	}
	return len(p), "", false, "", ""
}

// badExcerpt is an escaped, bounded excerpt of the line so far and rest.
func (f *framer) badExcerpt(rest []byte) string {
	return excerpt(append(f.line[:len(f.line):len(f.line)], rest...))
}
