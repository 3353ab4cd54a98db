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
// late (cameLate) it is no reply at all (mqmanager.ErrNoReply).
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
		return fmt.Errorf("%w: it spent %v of its %v before it reached the manager, and %s",
			mqmanager.ErrNoReply, req.Lost().Round(time.Millisecond), req.Budget, msg)
	}
	return jigapi.Errorf(jigapi.CodeSerialTimeout, "%s", msg)
}

// A request that spent more than a tenth of the time it was published
// with, and more than lateSlack, before the manager received it came late:
// a frozen link or a backed-up queue took that time, not the board. If the
// board's answer does not come in what is left, serial_timeout ("the board
// did not answer in time") would blame the board for the bus, and no code
// says where the time went; so the manager gives no reply, and its
// caller's outcome is a timeout, which is true: routed, no reply by the
// deadline. A request that had its time still gets serial_timeout.
//
// A tenth, as the reply margin keeps back: a board that needs nearly all
// of a request's time may still be blamed for up to that much lost on the
// way. lateSlack keeps a short request from coming late by an ordinary
// trip and clocks that disagree by a few milliseconds.
//
// What it relies on: the loss (Request.Lost) is the budget at publish (the
// expiration, a duration on the caller's clock alone) less the time left
// as the manager's own deadline for the request has it (x-deadline-ms
// against the manager's clock). So it needs the clocks no closer than that
// deadline already does: a caller's clock behind the manager's shows as
// loss (its board timeouts may go unanswered: a timeout, true if less
// precise), one ahead hides as much loss, as it makes that deadline late.
// A request that spent its time before it was published (its caller
// waiting for a connection) carries only what was left, and is judged by
// that: the manager cannot tell.
const lateSlack = 100 * time.Millisecond

// cameLate reports whether req came late (see lateSlack); false for a
// request that said nothing of its time, or nil.
func cameLate(req *mqmanager.Request) bool {
	if req == nil {
		return false
	}
	return req.Lost() > max(req.Budget/10, lateSlack)
}
