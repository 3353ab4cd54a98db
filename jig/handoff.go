package jig

import (
	"context"
	"errors"
	"fmt"
	"time"
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

// A port just (re)opened is out of step: whoever had it before may have a
// command's answer still to come, and a board reset by the open may be
// printing its banner. So the line is re-synchronised before any answer is
// trusted, and on the default settings that takes a query timeout of
// silence after the probes (stillWait: the open leaves owed.unsure set).
// That silence is the protocol's, and stays; but it is the Device's work,
// not a caller's: paid inside the first request after every open, it made
// that request fail on any deadline not much longer than a query timeout,
// on a healthy board. So the supervisor, having opened the port, readies
// the line at once under the Device's lifetime (readyAfterOpen); requests
// that come after it find the line in step, and one that comes during it
// waits for it, and if its deadline comes first, says that the resync
// after the open took its time (cutWhileReadying), not the board.

// ErrResyncing is wrapped, with the caller's context error, by the error
// of a Status or Do whose caller stopped waiting while the line was being
// re-synchronised: the time went to readying the line (quiet periods and
// probes), not to the caller's own commands, none of which was sent.
var ErrResyncing = errors.New("re-synchronising the line")

// Why the line is being re-synchronised (Device.resyncing).
const (
	resyncNone   int32 = iota // no resync under way
	resyncOpened              // the line has not been in step since the port opened
	resyncAgain               // it was, and then went out of step
)

// readyAfterOpen readies the line of the port the supervisor has just
// opened, in a goroutine that takes over the port from the caller and
// gives it back when done. A failure is left for the next conversation to
// retry (begin), as a request's own resync failure is. The caller holds
// the port, and must not give it back.
func (d *Device) readyAfterOpen() {
	if !d.track() { // Close has begun: it closes the port
		d.conv <- struct{}{}
		return
	}
	d.heldLimit.Store(int64(d.convLimit(0)))
	d.held.Store(time.Now().UnixNano())
	go func() {
		defer d.wg.Done()
		defer d.release()
		if err := d.begin(d.ctx); err != nil {
			d.failedWith(err)
		}
	}()
}

// cutWhileReadying is err, the context error of a caller that stopped
// waiting for the Device, with what the Device was doing if that was
// re-synchronising the line (which goes on without the caller, for the
// next request) or waiting for an answer owed (waiting).
func (d *Device) cutWhileReadying(err error) error {
	switch d.resyncing.Load() {
	case resyncOpened:
		err = fmt.Errorf("jig: %w after the port opened (it goes on, for the next request): %w", ErrResyncing, err)
	case resyncAgain:
		err = fmt.Errorf("jig: %w (out of step after an earlier failure; it goes on, for the next request): %w",
			ErrResyncing, err)
	}
	return d.waiting(err)
}
