package manager

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
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
// passing, or about to pass before the board's answer (jig's pace.go),
// while the request's own has not; nil otherwise.
func boardLate(ctx context.Context, err error) error {
	if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	msg := "the request's deadline came before the board's answer"
	if errors.Is(err, jig.ErrNotSent) {
		msg = "the request's deadline would come before the board's answer"
	}
	if why := strings.TrimSuffix(err.Error(), ": "+context.DeadlineExceeded.Error()); why != err.Error() {
		msg += ": " + strings.TrimPrefix(why, "jig: ") // what it was doing
	}
	return jigapi.Errorf(jigapi.CodeSerialTimeout, "%s", msg)
}
