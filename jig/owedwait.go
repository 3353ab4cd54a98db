package jig

import (
	"context"
	"fmt"
	"time"
)

// awaitOwed waits until the board owes nothing, reading and discarding
// its input (as unsolicited, which pays what it can), writing off each
// debt at its time. It fails if ctx ends first. The caller holds the port.
func (d *Device) awaitOwed(ctx context.Context) error {
	for len(d.owes.debts) > 0 {
		d.writeOff(time.Now())
		if len(d.owes.debts) == 0 {
			return nil
		}
		if err := d.alive(ctx); err != nil {
			return d.waiting(err)
		}
		n, err := d.readFor(readWait(ctx, time.Until(d.owes.debts[0].until)))
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

// writeOff drops the debts due by now, as answers that will not come;
// then an answer not owed may still (owed.unsure).
func (d *Device) writeOff(now time.Time) {
	kept := d.owes.debts[:0]
	for _, b := range d.owes.debts {
		if now.Before(b.until) {
			kept = append(kept, b)
			continue
		}
		d.log.Warn("answer owed by the board written off", "command", b.q.command, "late", d.lateLimit())
		d.owes.unsure = true
	}
	d.owes.debts = kept
	d.owing.Store(int64(len(kept)))
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
