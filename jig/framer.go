package jig

import "fmt"

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

// feed consumes p. It returns done with the line (without its terminator)
// once a line is complete; bytes after it are ignored, since one command
// gets one answer and the input is flushed before the next command. A
// non-nil reason means the input is not a protocol line; bad is then an
// excerpt of what was received.
func (f *framer) feed(p []byte) (line string, done bool, reason, bad string) {
	for i, c := range p {
		switch {
		case c == '\n':
			line = string(f.line)
			f.reset()
			return line, true, "", ""
		case f.cr:
			return "", false, "carriage return inside the line", f.badExcerpt(p[i:])
		case c == '\r':
			f.cr = true
			continue
		case !printableByte(c):
			return "", false, fmt.Sprintf("non-printable byte 0x%02x after %d bytes", c, len(f.line)), f.badExcerpt(p[i:])
		case len(f.line) >= f.max:
			return "", false, fmt.Sprintf("line longer than max_line %d bytes", f.max), f.badExcerpt(nil)
		}
		f.line = append(f.line, c)
	}
	return "", false, "", ""
}

// badExcerpt is an escaped, bounded excerpt of the line so far and rest.
func (f *framer) badExcerpt(rest []byte) string {
	return excerpt(append(f.line[:len(f.line):len(f.line)], rest...))
}
