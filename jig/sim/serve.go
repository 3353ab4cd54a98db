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
const longLineSize = 100 << 10

// Banner is what FaultBanner prints before its blank line, as a board
// does when it resets.
const Banner = "JigSim boot v1.0 (reset)"

// serve reads command lines from the master side and answers each one,
// until the pty is closed.
func (b *Board) serve() {
	defer close(b.done)
	if b.aside != nil {
		asideDone := make(chan struct{})
		go b.sendAside(asideDone)
		defer func() { close(b.aside); <-asideDone }()
	}
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
	n := b.record(cmd)
	fault := b.faultFor(n, cmd)
	b.log.Debug("command", "n", n, "cmd", cmd, "fault", fault.String())
	if fault == FaultSilent {
		return true
	}
	ans := b.reply(cmd)
	if b.tagged {
		ans = fmt.Sprintf("#%d %s", n, ans)
	}
	if fault == FaultLate && b.aside != nil {
		return b.putAside(ans, b.delay+b.late)
	}
	wait := b.delay
	if fault == FaultLate {
		wait += b.late
	}
	if !b.sleep(wait) {
		return false
	}
	if fault == FaultTrickle {
		return b.trickle([]byte(ans + "\r\n"))
	}
	if b.write(b.output(fault, cmd, ans)) != nil {
		return false
	}
	return b.aftermath(fault, ans)
}

// aftermath is what FaultDouble and FaultReset send Config.Late after the
// answer's first output: the answer again, or the banner of a board that
// reset in the middle of its answer. Meanwhile the board reads nothing, as
// a busy or rebooting one does not.
func (b *Board) aftermath(fault Fault, ans string) bool {
	var out string
	switch fault {
	case FaultDouble:
		out = ans + "\r\n"
	case FaultReset:
		out = Banner + "\r\n"
	default:
		return true
	}
	if !b.sleep(b.late) {
		return false
	}
	return b.write([]byte(out)) == nil
}

// faultFor is the fault command n gets: the board's fault if n is a hit
// (one in Config.Every, of Config.Only's commands if set), FaultMix resolved to one of its faults.
func (b *Board) faultFor(n uint64, cmd string) Fault {
	fault := Fault(b.fault.Load())
	if b.only != "" { // Every counts Only's command alone
		if !strings.EqualFold(b.only, cmd) {
			return FaultNone
		}
		n = b.onlyHits.Add(1)
	}
	if fault == FaultNone || n%b.every != 0 {
		return FaultNone
	}
	if fault == FaultMix {
		b.rngMu.Lock()
		fault = mixed[b.rng.IntN(len(mixed))]
		b.rngMu.Unlock()
	}
	return fault
}

// output is what the board writes for an answer ans to cmd under fault.
func (b *Board) output(fault Fault, cmd, ans string) []byte {
	switch fault {
	case FaultGarbage:
		return garbage()
	case FaultError:
		return []byte("ERR -100,\"Command error\"\r\n")
	case FaultPartial, FaultReset:
		return []byte(ans[:len(ans)/2])
	case FaultLongLine:
		return bytes.Repeat([]byte("A"), longLineSize)
	case FaultEcho:
		return []byte(cmd + "\r\n" + ans + "\r\n")
	case FaultBanner:
		return []byte(Banner + "\r\n\r\n" + ans + "\r\n")
	}
	return []byte(ans + "\r\n")
}

// sleep waits d, or reports false if the board closes first.
func (b *Board) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.stop:
		return false
	}
}

// trickle writes out one byte at a time, a millisecond apart.
func (b *Board) trickle(out []byte) bool {
	for i := range out {
		if b.write(out[i:i+1]) != nil || !b.sleep(time.Millisecond) {
			return false
		}
	}
	return true
}

// reply is the correct answer to cmd. Commands are case-insensitive, as in
// SCPI; ECHO <text> answers <text> (a probe a reader can prove).
func (b *Board) reply(cmd string) string {
	up := strings.ToUpper(cmd)
	if ans, ok := b.out.setting(up); ok {
		return ans
	}
	switch {
	case up == "*IDN?":
		return b.ident
	case up == "STAT?":
		return b.state.Load().(string)
	case up == "MEAS:TEMP?":
		return "23.5"
	case up == "SYST:ERR?":
		return `0,"No error"`
	case strings.HasPrefix(up, "ECHO "):
		return cmd[len("ECHO "):]
	}
	return `ERR -113,"Undefined header"`
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
