package gateway

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

// TestStatusReadsShareCloseDeadlines: reads waiting behind a call share
// the next call only with reads whose deadline is no earlier and at most
// maxShareSlack later (a tenth of a minute's read is more); the call
// carries its first reader's deadline, the earliest, and the calls
// waiting are all sent when the one out comes back.
func TestStatusReadsShareCloseDeadlines(t *testing.T) {
	s, h, first := oneCallOut(t)
	base := time.Now().Add(time.Minute)
	at := func(d time.Duration) context.Context {
		ctx, cancel := context.WithDeadline(context.Background(), base.Add(d))
		t.Cleanup(cancel)
		return ctx
	}
	a := start(t, s, at(0), "F")
	if b := start(t, s, at(maxShareSlack), "F"); b != a {
		t.Error("a read due maxShareSlack after the call's first did not share it")
	}
	later := start(t, s, at(maxShareSlack+time.Millisecond), "F")
	earlier := start(t, s, at(-time.Millisecond), "F")
	if later == a || earlier == a || earlier == later {
		t.Fatal("reads due further apart than maxShareSlack, or before the call's first, shared a call")
	}
	close(first.release)
	deadlines := map[time.Time]bool{}
	for range 3 {
		c := h.next(t)
		d, _ := c.ctx.Deadline()
		deadlines[d] = true
		close(c.release)
	}
	for _, d := range []time.Duration{0, maxShareSlack + time.Millisecond, -time.Millisecond} {
		if !deadlines[base.Add(d)] {
			t.Errorf("no call carries its first reader's deadline %v (calls: %v)", base.Add(d), deadlines)
		}
	}
}

// TestStatusShortReadSentInTime: a read with little time, waiting behind
// a call that does not come back, has its call sent halfway to its
// deadline, not after it (the hold is an hour), so that its manager can
// still answer it; that call carries its deadline, and ends at it with a
// timeout.
func TestStatusShortReadSentInTime(t *testing.T) {
	s, h, first := oneCallOut(t)
	defer close(first.release)
	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	done := waitFor(s, short, start(t, s, short, "F"))
	second := h.next(t)
	if short.Err() != nil {
		t.Fatal("the short read's call was sent after its deadline")
	}
	if d, _ := second.ctx.Deadline(); !sameDeadline(short, d) {
		t.Errorf("the short read's call has deadline %v, want the read's", d)
	}
	if err := result(t, done); !errors.Is(err, mqmanager.ErrTimeout) {
		t.Fatalf("short read past its deadline: %v, want a timeout", err)
	}
}

func sameDeadline(ctx context.Context, d time.Time) bool {
	want, _ := ctx.Deadline()
	return want.Equal(d)
}

// TestStatusCallNotSentForReadsGone: a call all of whose readers went away
// before its turn is never sent.
func TestStatusCallNotSentForReadsGone(t *testing.T) {
	s, h, first := oneCallOut(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	next := start(t, s, ctx, "F")
	done := waitFor(s, ctx, next)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("read gone: %v", err)
	}
	close(first.release)
	awaitCall(t, next)
	select {
	case c := <-h.sent:
		t.Fatalf("call %d sent for a read that had left", c.n)
	default:
	}
	if next.err != nil || next.res != nil {
		t.Errorf("a call never sent has an outcome: %s, %v", next.res, next.err)
	}
}

// TestStatusSharedReadUnlinked: a read sharing a call, whose deadline
// ends while the gateway's client has no link to the broker, is broker
// unreachable, as the call is, whichever of the two ends first (it was a
// timeout, while the call that the first read made said broker
// unreachable).
func TestStatusSharedReadUnlinked(t *testing.T) {
	s, h, first := oneCallOut(t)
	defer close(first.release)
	h.linked.Store(false)
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	next := start(t, s, short, "F")
	if err := result(t, waitFor(s, short, next)); !errors.Is(err, mqmanager.ErrBrokerUnreachable) {
		t.Fatalf("shared read past its deadline, no link: %v, want broker unreachable", err)
	}
}
