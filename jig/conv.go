package jig

import (
	"context"
	"fmt"
	"time"
)

// Answer is one command's answer line, from Device.Do.
type Answer struct {
	Command string    `json:"command"`
	Line    string    `json:"line"`    // the answer, without its line end
	SentAt  time.Time `json:"sent_at"` // when the command was written
	MS      float64   `json:"ms"`      // from the write to the answer line
}

// Do is one conversation with the board: it writes command (see
// ValidateCommand) and returns its one answer line, under the same rules as
// a status read (see the package documentation): the line is brought in
// step first if it is not, echoes, banners, blank and unsolicited lines are
// never the answer, an answer starting with "ERR" is a *FixtureError,
// input following the answer makes it untrusted, and so does a fence
// (fence.go) answered out of step. It waits for a status read or another
// Do holding the port, and honours ctx throughout: if ctx ends while the
// line is readied, that goes on without it (handoff.go); a command that
// ctx's deadline would cut, by the board's recent pace, is not sent
// (pace.go); if ctx ends after the command was written, its answer is
// owed (owed.go) and the line out of step until re-synchronised. Errors
// are as for Status, or wrap ctx's error.
func (d *Device) Do(ctx context.Context, command string) (Answer, error) {
	if err := ValidateCommand(command); err != nil {
		return Answer{}, fmt.Errorf("jig: %w", err)
	}
	if !d.track() { // Close waits for a Do, which holds the port
		return Answer{}, unavailable(d.cfg.Port, errClosed)
	}
	defer d.wg.Done()
	if err := d.acquire(ctx, 1); err != nil {
		return Answer{}, err
	}
	if err := d.beginFor(ctx); err != nil { // the port is released
		return Answer{}, err
	}
	defer d.release()
	if err := d.alive(ctx); err != nil { // ctx ended as begin did
		return Answer{}, err
	}
	if err := d.timeFor(ctx, 1); err != nil {
		return Answer{}, err
	}
	q := &query{command: command}
	a, err := d.exchange(ctx, q)
	if err == nil {
		err = d.settled(q)
	}
	if err == nil {
		err = d.fence(ctx)
	}
	if err != nil {
		return Answer{}, d.failedWith(err)
	}
	return a, nil
}

// failedWith closes the port if err shows it gone, and returns err. The
// caller holds the port.
func (d *Device) failedWith(err error) error {
	if errorsIsUnavailable(err) {
		d.lost(err)
	}
	return err
}

// acquire takes the port for one conversation of cmds commands, waiting at
// most until ctx or the Device ends. While held, Liveness sees it.
func (d *Device) acquire(ctx context.Context, cmds int) error {
	select {
	case <-d.conv:
	case <-d.ctx.Done():
		return unavailable(d.cfg.Port, errClosed)
	case <-ctx.Done():
		if d.resyncing.Load() != resyncNone { // e.g. the line readied after an open (handoff.go)
			return d.cutWhileReadying(ctx.Err())
		}
		return d.waiting(fmt.Errorf("jig: waiting for the port, held by another conversation: %w", ctx.Err()))
	}
	if err := d.alive(ctx); err != nil {
		d.conv <- struct{}{}
		return err
	}
	d.heldLimit.Store(int64(d.convLimit(cmds)))
	d.held.Store(time.Now().UnixNano())
	return nil
}

// release gives the port back.
func (d *Device) release() {
	d.held.Store(0)
	d.conv <- struct{}{}
}

// alive is the error for a conversation that must stop: the Device closed
// or the caller's context ended; nil otherwise.
func (d *Device) alive(ctx context.Context) error {
	if d.ctx.Err() != nil {
		return unavailable(d.cfg.Port, errClosed)
	}
	return ctx.Err()
}

// begin readies the line for a conversation: it opens the port if it is
// closed or the path now leads to another node (so a replug is picked up
// by the first request, not only by the next reconnect attempt), takes
// any input that arrived unasked as unsolicited (which puts the line out
// of step: the board spoke on its own), waits for any answer the board
// still owes (owed.go), and re-synchronises a line that is out of step.
// The caller holds the port.
func (d *Device) begin(ctx context.Context) error {
	if d.port != nil {
		d.stillBehindPath() // else closed: opened anew below
	}
	if d.port == nil {
		if err := d.connect(); err != nil {
			return err
		}
	}
	if _, err := d.takeUnsolicited("before a command"); err != nil {
		return err
	}
	if err := d.awaitOwed(ctx); err != nil {
		return err
	}
	if d.outOfStep {
		return d.resync(ctx)
	}
	return nil
}

// settled checks that nothing has followed q's answer. Input there means
// the answer may not be q's (a late answer, an echo out of turn, a banner
// before the real answer): the line is out of step and the answer is not
// trusted. The caller holds the port.
func (d *Device) settled(q *query) error {
	found, err := d.takeUnsolicited("after an answer")
	if err != nil || !found {
		return err
	}
	return &FixtureError{Query: q.name, Command: q.command, Answer: d.lastExtra,
		Reason: "more input followed the answer, so it may not be this command's: the line is out of step"}
}

// trouble records that err ended an exchange: anything but the board's own
// ERR answer leaves the line out of step (an answer may still be coming,
// or part of one is still buffered). The caller holds the port.
func (d *Device) trouble(err error) {
	if fe, ok := err.(*FixtureError); ok && fe.Reason == "" {
		return
	}
	d.outOfStep = true
}
