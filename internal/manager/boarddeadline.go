package manager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// A board method (JigStatus, Query) waits for the board only until a
// little before its request's deadline, then replies serial_timeout: the
// caller, still waiting, learns that the manager is there and the board
// did not answer in time, instead of a silence it cannot tell from a lost
// manager or broker. The margin is the time the reply needs to reach the
// caller: a tenth of what the request had left when its handler started,
// at least minReplyMargin and at most maxReplyMargin (a 2 s request waits
// 1.9 s for the board; a reply took up to 25 ms to arrive in the race
// detector's test runs).
const (
	minReplyMargin = 25 * time.Millisecond
	maxReplyMargin = 100 * time.Millisecond
)

// boardDeadline is ctx with its deadline brought forward by the reply
// margin (ctx itself, cancellable, if it has no deadline).
func boardDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(max(time.Until(deadline)/10, minReplyMargin), maxReplyMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

// boardLate is the serial_timeout reply for err, a board method's error
// under the context boardDeadline made of ctx, if it is that deadline
// passing, or about to pass before the board's answer (jig's pace.go), or
// passing while the line was being re-synchronised (jig.ErrResyncing),
// while the request's own has not; nil otherwise. For a request that came
// late (cameLate) the message says so first: where the time went.
func boardLate(ctx context.Context, err error) error {
	if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	msg := "the request's deadline came before the board's answer"
	switch {
	case errors.Is(err, jig.ErrNotSent):
		msg = "the request's deadline would come before the board's answer"
	case errors.Is(err, jig.ErrResyncing): // the protocol's guard periods took the time, not the board
		msg = "the request's deadline came before the line to the board was ready, none of its commands sent"
	}
	if why := strings.TrimSuffix(err.Error(), ": "+context.DeadlineExceeded.Error()); why != err.Error() {
		msg += ": " + strings.TrimPrefix(why, "jig: ") // what it was doing
	}
	if req := mqmanager.RequestOf(ctx); cameLate(req) {
		lost := req.Lost().Round(time.Millisecond)
		msg = fmt.Sprintf("the request reached the manager with %v of its %v left (%v spent on the way, "+
			"or queued, before the manager took it up); then %s", req.Budget-lost, req.Budget, lost, msg)
	}
	return jigapi.Errorf(jigapi.CodeSerialTimeout, "%s", msg)
}

// A request that spent more than a tenth of the time it was published
// with, and more than lateSlack, before the manager took it up came late:
// a frozen link, a backed-up queue, or the manager's own handlers all busy
// took that time. Its serial_timeout ("the board did not answer in time":
// in the time that was left) then says first where the rest went, so that
// nobody reads it as the board's slowness alone. It is still the board's
// outcome: the board was asked, or would have been, and did not answer in
// what was left; a silence instead would say the manager or the bus was
// lost, which a manager that is there and busy is not.
//
// A tenth, as the reply margin keeps back; lateSlack keeps a short
// request from coming late by an ordinary trip and clocks that disagree by
// a few milliseconds.
//
// What it relies on: the loss (Request.Lost) is the budget at publish (the
// expiration, a duration on the caller's clock alone) less the time left
// as the manager's own deadline for the request has it (x-deadline-ms
// against the manager's clock). So it needs the clocks no closer than that
// deadline already does, and it only words the message: a caller's clock
// behind the manager's shows as loss in the text, never in the code. A
// request that spent its time before it was published (its caller
// waiting for a connection) carries only what was left: the manager
// cannot tell.
const lateSlack = 100 * time.Millisecond

// cameLate reports whether req came late (see lateSlack); false for a
// request that said nothing of its time, or nil.
func cameLate(req *mqmanager.Request) bool {
	if req == nil {
		return false
	}
	return req.Lost() > max(req.Budget/10, lateSlack)
}
