package jig

import (
	"bytes"
	"strings"
	"testing"
)

func TestFramer(t *testing.T) {
	cases := []struct {
		name, in, line, reason string
		done                   bool
	}{
		{"lf", "READY\n", "READY", "", true},
		{"crlf", "READY\r\n", "READY", "", true},
		{"empty line", "\n", "", "", true},
		{"tab", "a\tb\n", "a\tb", "", true},
		{"rest left", "A\nB\n", "A", "", true},
		{"partial", "REA", "", "", false},
		{"exactly max", strings.Repeat("x", 8) + "\n", strings.Repeat("x", 8), "", true},
		{"too long", strings.Repeat("x", 9), "", "longer than max_line 8", false},
		{"control", "AB\x03C\n", "", "non-printable byte 0x03 after 2 bytes", false},
		{"high bit", "\xff\n", "", "non-printable byte 0xff", false},
		{"lone cr", "A\rB\n", "", "carriage return", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Byte by byte and all at once must agree.
			for _, chunk := range []int{1, len(c.in)} {
				f := newFramer(8)
				line, done, reason := "", false, ""
				for in := []byte(c.in); len(in) > 0 && !done && reason == ""; {
					n := min(chunk, len(in))
					var used int
					used, line, done, reason, _ = f.feed(in[:n])
					if done && used != strings.IndexByte(string(in[:n]), '\n')+1 {
						t.Errorf("used %d of %q", used, in[:n])
					}
					in = in[n:]
				}
				if line != c.line || done != c.done || !strings.Contains(reason, c.reason) || (reason == "") != (c.reason == "") {
					t.Errorf("chunk %d: got %q %v %q, want %q %v %q", chunk, line, done, reason, c.line, c.done, c.reason)
				}
			}
		})
	}
}

// FuzzLineFramer: whatever arrives, in whatever chunks, the framer either
// finishes one printable line within max, refuses with a bounded excerpt,
// or keeps at most max bytes pending.
func FuzzLineFramer(f *testing.F) {
	f.Add([]byte("JIGMQ,JigSim,SIM-0001,1.0\r\n"), uint8(3))
	f.Add([]byte("READY\n"), uint8(1))
	f.Add([]byte("\x00\x01\xfe garbage"), uint8(2))
	f.Add(bytes.Repeat([]byte("A"), 300), uint8(7))
	f.Add([]byte("A\rB\r\r\n"), uint8(1))
	f.Add([]byte("ERR -113,\"Undefined header\"\n"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		const max = 64
		fr := newFramer(max)
		step := int(chunk%16) + 1
		for len(in) > 0 {
			n := min(step, len(in))
			used, line, done, reason, bad := fr.feed(in[:n])
			if used > n || (reason == "" && !done && used != n) {
				t.Fatalf("used %d of %d bytes", used, n)
			}
			in = in[n:]
			switch {
			case reason != "":
				if done || len(bad) > 4*excerptLen+3 || !printable(bad) {
					t.Fatalf("refusal %q with done=%v, excerpt %d bytes", reason, done, len(bad))
				}
				return
			case done:
				if len(line) > max || !printable(line) {
					t.Fatalf("bad line %q", line)
				}
				return
			}
			if fr.pending() > max {
				t.Fatalf("%d bytes pending, max %d", fr.pending(), max)
			}
		}
	})
}
