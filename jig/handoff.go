package jig

import (
	"context"
	"fmt"
)

// A Do's caller has a deadline, and readying the line can take longer
// than that: a wait for an owed answer (up to Resync.Late), a resync (on a
// slow board without a nonce probe: a quiet wait, two probes and a query
// timeout of silence after them). Cut each time by its caller's deadline,
// the resync would never finish, and on such a board every Do would fail,
// each leaving the line as out of step as it found it. So a Do readies the
// line under the Device's lifetime, as a status read does, and its caller
// waits for that only until its own context ends: then the work goes on,
// holding the port until it is done, and the next conversation finds the
// line in step.

// beginFor runs begin for a Do whose caller holds the port and may stop
// waiting first (see above). On success the caller still holds the port.
// On error it does not: the port is released, at once or, when the caller
// stopped waiting, once begin has finished in the background.
func (d *Device) beginFor(ctx context.Context) error {
	if !d.track() { // no goroutine starts once Close has begun
		d.release()
		return unavailable(d.cfg.Port, errClosed)
	}
	done, gaveUp := make(chan error), make(chan struct{})
	go func() {
		defer d.wg.Done()
		err := d.begin(d.ctx)
		select {
		case done <- err: // the caller goes on with the port
		case <-gaveUp:
			d.failedWith(err)
			d.release()
		}
	}()
	select {
	case err := <-done:
		if err != nil {
			d.failedWith(err)
			d.release()
		}
		return err
	case <-ctx.Done():
		close(gaveUp)
		return d.cutWhileReadying(ctx.Err())
	}
}

// cutWhileReadying is the error of a Do whose caller stopped waiting
// while the line was being readied: what the Device was doing, which
// goes on.
func (d *Device) cutWhileReadying(err error) error {
	if d.resyncing.Load() {
		err = fmt.Errorf("jig: re-synchronising the line (out of step after an earlier failure; "+
			"it goes on, for the next request): %w", err)
	}
	return d.waiting(err)
}
