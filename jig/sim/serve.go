package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// maxCommand bounds a command line; a longer one is dropped, as a board
// with a small input buffer would.
const maxCommand = 1024

// longLineSize is how much FaultLongLine sends without a newline.
const longLineSize = 64 << 10

// serve reads command lines from the master side and answers each one,
// until the pty is closed.
func (b *Board) serve() {
	defer close(b.done)
	buf := make([]byte, 512)
	var line []byte
	for {
		n, err := b.pty.master.Read(buf)
		for _, c := range buf[:n] {
			switch {
			case c == '\n':
				cmd := strings.TrimSpace(string(line))
				line = line[:0]
				if cmd != "" && !b.answer(cmd) {
					return
				}
			case len(line) < maxCommand:
				line = append(line, c)
			}
		}
		if err != nil {
			if !errors.Is(err, os.ErrClosed) && !errors.Is(err, io.EOF) {
				b.log.Warn("read failed", "err", err)
			}
			return
		}
	}
}

// answer handles one command; it reports false once the board is closing.
func (b *Board) answer(cmd string) bool {
	b.queries.Add(1)
	fault := Fault(b.fault.Load())
	b.log.Debug("command", "cmd", cmd, "fault", fault.String())
	if fault == FaultSilent {
		return true
	}
	if b.delay > 0 {
		t := time.NewTimer(b.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-b.stop:
			return false
		}
	}
	var out []byte
	switch fault {
	case FaultGarbage:
		out = garbage()
	case FaultError:
		out = []byte("ERR -100,\"Command error\"\r\n")
	case FaultPartial:
		ans := b.reply(cmd)
		out = []byte(ans[:len(ans)/2])
	case FaultLongLine:
		out = bytes.Repeat([]byte("A"), longLineSize)
	default:
		out = []byte(b.reply(cmd) + "\r\n")
	}
	if _, err := b.pty.master.Write(out); err != nil {
		return false
	}
	return true
}

// reply is the correct answer to cmd. Commands are case-insensitive, as in
// SCPI.
func (b *Board) reply(cmd string) string {
	switch strings.ToUpper(cmd) {
	case "*IDN?":
		return b.ident
	case "STAT?":
		return b.state.Load().(string)
	case "MEAS:TEMP?":
		return "23.5"
	case "SYST:ERR?":
		return `0,"No error"`
	default:
		return `ERR -113,"Undefined header"`
	}
}

// garbage is 16 to 63 random bytes that are neither printable ASCII nor a
// line terminator: line noise from a wrong baud rate.
func garbage() []byte {
	out := make([]byte, 16+rand.IntN(48))
	for i := range out {
		c := byte(rand.IntN(256))
		for (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' {
			c = byte(rand.IntN(256))
		}
		out[i] = c
	}
	return out
}

// Fault is a misbehaviour the board can be told to show, so the reading
// side can be tested against every way a real controller board fails.
type Fault int

// The faults. The zero value is FaultNone.
const (
	FaultNone     Fault = iota // answer correctly
	FaultSilent                // read commands, never answer
	FaultGarbage               // answer with random non-printable bytes, no newline
	FaultError                 // answer every command with ERR -100,"Command error"
	FaultPartial               // answer with the first half of the line, no terminator
	FaultLongLine              // answer with 64 KiB of printable bytes and no newline
)

var faultNames = [...]string{
	FaultNone:     "none",
	FaultSilent:   "silent",
	FaultGarbage:  "garbage",
	FaultError:    "error",
	FaultPartial:  "partial",
	FaultLongLine: "longline",
}

// FaultNames lists every fault's name, in order, for help texts.
func FaultNames() []string { return faultNames[:] }

// String returns the fault's name, as accepted by ParseFault.
func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// ParseFault returns the fault named s (case-insensitive); "" is none.
func ParseFault(s string) (Fault, error) {
	if s == "" {
		return FaultNone, nil
	}
	for i, name := range faultNames {
		if strings.EqualFold(s, name) {
			return Fault(i), nil
		}
	}
	return FaultNone, fmt.Errorf("unknown fault %q (want one of %s)", s, strings.Join(faultNames[:], ", "))
}

// MarshalText and UnmarshalText make a Fault usable in YAML, JSON and flags.
func (f Fault) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText parses a fault name, see ParseFault.
func (f *Fault) UnmarshalText(b []byte) error {
	v, err := ParseFault(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}
