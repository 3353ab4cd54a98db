package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// Status reads of one fixture share their calls. A read that arrives while
// a JigStatus call to its fixture is out does not send one of its own
// beside it: it waits for the next call, with every other read that arrives
// meanwhile, and that call is sent when the one out comes back. So every
// answer comes from a call sent after its read arrived (never from one
// already out: that could carry a state from before the request), and
// sixty-four dashboards or MES stations reading one fixture cost the
// manager and the broker one call at a time instead of sixty-four.
//
// A call that does not come back does not hold the next one for long: the
// next is sent statusHold after the one before it at the latest. The
// shared call's deadline is the latest of its readers'; each reader stops
// waiting at its own (a timeout, as the Client's). A call out ends when its
// last reader stops waiting, with that reader's outcome (a timeout is then
// the call's, which the row does not record: statusCame), and a call
// whose readers all left before its turn is never sent. The fleet row
// takes each call's outcome once, and never a call sent before the one
// it shows (Fleet.update).

// statusHold is how long a status call out holds back the next call to
// the same fixture.
const statusHold = 200 * time.Millisecond

// statusReader shares JigStatus calls between concurrent reads of one
// fixture.
type statusReader struct {
	ask  func(ctx context.Context, serial string) (json.RawMessage, *jigapi.Status, error)
	done func(serial string, c *statusCall) // once per call, when it came back
	// unlinked is why a reader that stops waiting could not have had an
	// answer whatever the call does (the gateway's client has no link to
	// the broker), or nil: then its outcome is a timeout (waitedOut).
	unlinked func() error
	hold     time.Duration

	base context.Context // cancelled by close: every call ends
	stop context.CancelFunc
	wg   sync.WaitGroup // the calls' goroutines

	mu    sync.Mutex
	lanes map[string]*statusLane
}

// statusLane is one fixture's calls.
type statusLane struct {
	out     *statusCall // the call sent last, until it came back
	pending *statusCall // the next call, gathering its readers
}

// statusCall is one JigStatus call and the reads it answers.
type statusCall struct {
	deadline time.Time // the latest of its readers'; zero: one has none
	readers  int       // still waiting
	sent     time.Time
	ctx      context.Context         // set when sent
	cancel   context.CancelFunc      // set when sent: releases ctx
	stop     context.CancelCauseFunc // set when sent: ends ctx with a cause
	done     chan struct{}           // closed when it came back

	res json.RawMessage
	st  *jigapi.Status
	err error
}

func newStatusReader(ask func(context.Context, string) (json.RawMessage, *jigapi.Status, error),
	done func(string, *statusCall), unlinked func() error) *statusReader {
	base, stop := context.WithCancel(context.Background())
	return &statusReader{ask: ask, done: done, unlinked: unlinked, hold: statusHold, base: base, stop: stop,
		lanes: map[string]*statusLane{}}
}

// read answers one status read from a call sent after it arrived; ctx
// (which has a deadline) bounds the wait.
func (s *statusReader) read(ctx context.Context, serial string) (json.RawMessage, *jigapi.Status, error) {
	c, now := s.join(ctx, serial)
	if now { // nothing was out: its own call, made here (no goroutine between)
		s.callNow(serial, c)
		return c.res, c.st, c.err
	}
	return s.wait(ctx, serial, c)
}

// wait waits for the answer of the call c joined, or for ctx to end.
func (s *statusReader) wait(ctx context.Context, serial string, c *statusCall) (json.RawMessage, *jigapi.Status, error) {
	select {
	case <-c.done:
		return c.res, c.st, c.err
	case <-ctx.Done():
		err := s.waitedOut(ctx, serial)
		s.leave(c, err)
		return nil, nil, err
	}
}

// waitedOut is the outcome of a reader whose ctx ended before the call it
// joined came back: a timeout, as the Client's, unless the gateway's
// client has no link to the broker (lost, and known lost), when the call
// cannot be answering either: broker unreachable, as the call itself
// will be, so that the reads of one fixture at once are told alike.
func (s *statusReader) waitedOut(ctx context.Context, serial string) error {
	err := ctx.Err()
	if !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if why := s.unlinked(); why != nil {
		return why
	}
	return &mqmanager.TimeoutError{Serial: serial, Method: jigapi.JigStatus.Name()}
}

// join adds a reader to the fixture's pending call, or, when no call is
// out, returns a call sent now (bound by ctx) that the caller makes.
func (s *statusReader) join(ctx context.Context, serial string) (c *statusCall, now bool) {
	deadline, _ := ctx.Deadline()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base.Err() != nil { // closed: the gateway is stopping
		c := &statusCall{err: s.base.Err(), done: make(chan struct{})}
		close(c.done)
		return c, false
	}
	l := s.lanes[serial]
	if l == nil {
		l = &statusLane{}
		s.lanes[serial] = l
	}
	if c := l.pending; c != nil {
		c.readers++
		if deadline.IsZero() || !c.deadline.IsZero() && deadline.After(c.deadline) {
			c.deadline = deadline
		}
		return c, false
	}
	c = &statusCall{deadline: deadline, readers: 1, done: make(chan struct{})}
	after := l.out
	if after == nil {
		l.out = c
		s.send(c, ctx)
		return c, true
	}
	l.pending = c
	s.wg.Go(func() { s.fly(serial, c, after) })
	return c, false
}

// leave takes a reader that stopped waiting (with err, its outcome) off
// its call, and ends a call out that nobody waits for any more with the
// last reader's outcome: a timeout is then the call's.
func (s *statusReader) leave(c *statusCall, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.readers--
	if c.readers == 0 && c.stop != nil {
		c.stop(err)
	}
}

// send marks c sent, its context from parent; s.mu is held.
func (s *statusReader) send(c *statusCall, parent context.Context) {
	c.sent = time.Now()
	var ctx context.Context
	ctx, c.stop = context.WithCancelCause(parent)
	c.ctx, c.cancel = ctx, func() { c.stop(context.Canceled) }
	if !c.deadline.IsZero() {
		var release context.CancelFunc
		c.ctx, release = context.WithDeadline(ctx, c.deadline)
		c.cancel = func() { release(); c.stop(context.Canceled) }
	}
}

// fly waits until the call before c came back or has been out for
// s.hold, then sends c.
func (s *statusReader) fly(serial string, c, after *statusCall) {
	t := time.NewTimer(s.hold - time.Since(after.sent))
	select {
	case <-after.done:
	case <-t.C:
	case <-s.base.Done():
	}
	t.Stop()
	s.mu.Lock()
	l := s.lanes[serial]
	l.pending = nil
	if c.readers == 0 { // all gave up before it was sent: never sent
		if l.out == nil {
			delete(s.lanes, serial)
		}
		s.mu.Unlock()
		close(c.done)
		return
	}
	l.out = c
	s.send(c, s.base)
	s.mu.Unlock()
	s.call(serial, c)
}

// callNow makes a call join sent now, which close ends too.
func (s *statusReader) callNow(serial string, c *statusCall) {
	stop := context.AfterFunc(s.base, c.cancel)
	defer stop()
	s.call(serial, c)
}

// call makes the call c and hands its result to its readers.
func (s *statusReader) call(serial string, c *statusCall) {
	c.res, c.st, c.err = s.ask(c.ctx, serial)
	var te *mqmanager.TimeoutError // its last reader's deadline ended it
	if errors.Is(c.err, context.Canceled) && errors.As(context.Cause(c.ctx), &te) {
		c.err = te
	}
	c.cancel()
	s.mu.Lock()
	if l := s.lanes[serial]; l != nil && l.out == c {
		l.out = nil
		if l.pending == nil {
			delete(s.lanes, serial)
		}
	}
	s.mu.Unlock()
	s.done(serial, c) // before the readers answer: a row is never behind an answer
	close(c.done)
}

// close cancels every call out and waits for the goroutines of the
// calls it sent itself (a call a read makes at once is the read's own,
// and ends with it: its HTTP handler's goroutine is the server's). A read
// after close fails at once.
func (s *statusReader) close() {
	s.mu.Lock() // a join either ran before, or sees base ended
	s.stop()
	s.mu.Unlock()
	s.wg.Wait()
}
