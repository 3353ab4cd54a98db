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
	if len(kept) == 0 {
		d.owes.carry = nil
	}
	d.owing.Store(int64(len(kept)))
}

// rebooted writes off every debt: a board that printed its boot banner
// answers nothing it was asked before. Then an answer not owed may still
// come (owed.unsure).
func (d *Device) rebooted() {
	if len(d.owes.debts) > 0 {
		d.log.Warn("answers owed by the board written off: it rebooted", "owed", len(d.owes.debts))
	}
	d.owes = owed{unsure: true}
	d.owing.Store(0)
}

// waiting is err, the error of a caller that stopped waiting for the
// Device, with why the Device was still busy if it was waiting for owed
// answers.
func (d *Device) waiting(err error) error {
	if d.owing.Load() > 0 {
		return fmt.Errorf("jig: the board still owes %s, awaited up to %s after its command (resync.late): %w",
			*d.owingWhat.Load(), d.lateLimit(), err)
	}
	return err
}
