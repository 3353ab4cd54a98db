package jig

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A command whose answer did not come by its query timeout (or whose
// caller gave up first) may still be answered: a board that is slow, busy
// or queueing answers sends it later. If the next command went out
// before it came, it would be taken for that command's answer, and with
// the board's every answer as late, each conversation would take the one
// before's, in step as far as the fence can see (the shift nets out). So
// the Device keeps the answers it is owed: no command is written while
// one is, the conversation waits for it first (any line the board sends
// pays the oldest debt) or until Resync.Late after its command, when it
// is written off. Any line pays: a board that chatters as well may pay a
// debt with another line, and the late answer then comes after; the
// resync's wait after its probe, and the fence, are left for that.

// owed is the answers the board owes: how many, and when the last of
// them is written off. Held with the port.
type owed struct {
	n     int
	until time.Time
	// unsure: an answer may still come that is not owed, since the port
	// was (re)opened (a command of whoever had it before) or debts were
	// written off. The resync then waits a query timeout after its probe
	// (stillWait), not only Resync.Quiet.
	unsure bool
}

// stillWait is how long the resync waits after its probe's answer for
// input that would show the answer was an earlier command's: a query
// timeout (the probe's own answer may still be to come, as late as that),
// except with a nonce probe when nothing is owed or unsure: there the
// probe's answer is proven its own, and the fence's token proves the end
// of each conversation in step, so Resync.Quiet is enough. Without a
// nonce the long wait stays: a line can be outstanding that no debt
// records (a board answering twice, a failed fence's own answer, a debt
// paid by another line), and the fence's answer, equal to every probe's,
// cannot tell a probe's late copy from its own.
func (d *Device) stillWait() time.Duration {
	if d.owes.unsure || d.owes.n > 0 || !strings.Contains(d.cfg.Resync.Probe, Nonce) {
		return max(d.cfg.Resync.Quiet, d.cfg.QueryTimeout)
	}
	return d.cfg.Resync.Quiet
}

// lateLimit is how long after its command an answer is still awaited:
// Resync.Late, at least the query timeout.
func (d *Device) lateLimit() time.Duration { return max(d.cfg.Resync.Late, d.cfg.QueryTimeout) }

// owe records that the command written at sent went unanswered, if err
// (its exchange's) says so: the query timeout passed, or the caller's
// context ended, before a line was taken. An answer that came and was
// refused is no debt, even if the context ended meanwhile.
func (d *Device) owe(err error, sent time.Time) {
	if !errors.Is(err, ErrTimeout) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return
	}
	d.owes.n++
	d.owes.until = sent.Add(d.lateLimit())
	d.owing.Store(int64(d.owes.n))
	d.count.owed.Add(1)
}

// paid takes lines the board sent unasked off what it owes.
func (d *Device) paid(lines int) {
	if d.owes.n == 0 || lines == 0 {
		return
	}
	d.owes.n = max(d.owes.n-lines, 0)
	d.owing.Store(int64(d.owes.n))
}

// waiting is err, the error of a caller that stopped waiting for the
// Device, with why the Device was still busy if it was waiting for owed
// answers.
func (d *Device) waiting(err error) error {
	if n := d.owing.Load(); n > 0 {
		return fmt.Errorf("jig: the board still owes %d answer(s) to earlier commands, awaited up to %s after each (resync.late): %w",
			n, d.lateLimit(), err)
	}
	return err
}

// awaitOwed waits until the board owes nothing, reading and discarding
// its input (as unsolicited, which pays), or until the debts are written
// off. It fails if ctx ends first. The caller holds the port.
func (d *Device) awaitOwed(ctx context.Context) error {
	for d.owes.n > 0 {
		wait := time.Until(d.owes.until)
		if wait <= 0 {
			d.log.Warn("answers owed by the board written off", "owed", d.owes.n, "late", d.lateLimit())
			d.owes = owed{unsure: true}
			d.owing.Store(0)
			return nil
		}
		if err := d.alive(ctx); err != nil {
			return d.waiting(err)
		}
		n, err := d.readFor(readWait(ctx, wait))
		if err != nil {
			return err
		}
		if n > 0 {
			d.outOfStep = true
			d.fr.reset()
			d.unsolicited("while waiting for an owed answer", d.buf[:n])
		}
	}
	return nil
}
