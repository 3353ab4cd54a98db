package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// Status reads of one fixture share their calls. A read that arrives while
// a JigStatus call to its fixture is out does not send one of its own
// beside it: it waits for the next call, with the other reads that arrive
// meanwhile, and that call is sent when the one out comes back. So every
// answer comes from a call sent after its read arrived (never from one
// already out: that could carry a state from before the request), and
// sixty-four dashboards or MES stations reading one fixture cost the
// manager and the broker one call per group of reads due close together
// (shares) instead of sixty-four.
// The manager may still answer a call with a board read in flight when the
// call reached it (its own sharing): read_at says when that read began
// (docs/http.md).
//
// A shared call has one deadline, and each of its readers must get the
// outcome it would have had alone. A manager whose board is late replies
// serial_timeout a little before the call's deadline: a reader whose own
// deadline came sooner would not hear it, and say timeout (the manager or
// the bus lost: untrue), and a reader allowing the board much longer would
// be cut short. So a call's deadline is its first reader's, and a read
// joins it only if its own deadline is no earlier and later by at most a
// tenth of the read's time, and at most maxShareSlack (shares): the call's
// answer comes before every reader's deadline, and gives no reader's board
// less time than that. A read that fits no call waiting goes on a call of
// its own, sent with them: reads with one timeout, arriving close
// together, still share one call.
//
// A call that does not come back does not hold the next ones for long:
// they are sent statusHold after it at the latest, and each no later than
// halfway from its first reader's arrival to its deadline (sendAfter), so
// that a short read behind a long call still reaches its manager in time
// to be told serial_timeout. A reader that goes away stops waiting (as
// does one whose deadline passes first: a timeout, as the Client's). A
// call out ends when its last reader stops waiting, with that reader's
// outcome (a timeout is then the call's, which the row does not record:
// statusCame), and a call whose readers all left before its turn is never
// sent. The fleet row takes each call's outcome once, and never a call
// sent before the one it shows (Fleet.update).

// statusHold is how long a status call out holds back the next calls to
// the same fixture.
const statusHold = 200 * time.Millisecond

// maxShareSlack bounds how much sooner than a read's own deadline the
// deadline of a call it shares may be (shares): the board's time a read
// gives up to share a call, no more than its manager keeps back for the
// reply at most (internal/manager's maxReplyMargin).
const maxShareSlack = 100 * time.Millisecond

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
	out     *statusCall   // the call sent last, until it came back
	pending []*statusCall // the next calls, gathering their readers
}

// statusCall is one JigStatus call and the reads it answers.
type statusCall struct {
	deadline time.Time // its first reader's, the earliest (shares); zero: none
	came     time.Time // when its first reader arrived
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

// join adds a reader to a call of the fixture's waiting to be sent whose
// deadline it shares, or to a new one; when no call is out, it returns a
// call sent now (bound by ctx) that the caller makes.
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
	for _, c := range l.pending {
		if shares(c.deadline, deadline) {
			c.readers++
			return c, false
		}
	}
	c = &statusCall{deadline: deadline, came: time.Now(), readers: 1, done: make(chan struct{})}
	after := l.out
	if after == nil {
		l.out = c
		s.send(c, ctx)
		return c, true
	}
	l.pending = append(l.pending, c)
	s.wg.Go(func() { s.fly(serial, c, after) })
	return c, false
}

// shares reports whether a read with deadline d may join a call with
// deadline call: the call's answer comes before d, and d is later by at
// most a tenth of the read's time (at most maxShareSlack), so the board
// has nearly as long as the read alone would give it. Zero is no
// deadline, which shares only with none.
func shares(call, d time.Time) bool {
	if call.IsZero() || d.IsZero() {
		return call.IsZero() && d.IsZero()
	}
	return !d.Before(call) && d.Sub(call) <= min(time.Until(d)/10, maxShareSlack)
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

// fly waits until the call before c came back, or sendAfter, then sends
// c, unless all its readers left.
func (s *statusReader) fly(serial string, c, after *statusCall) {
	t := time.NewTimer(s.sendAfter(c, after))
	select {
	case <-after.done:
	case <-t.C:
	case <-s.base.Done():
	}
	t.Stop()
	s.mu.Lock()
	l := s.lanes[serial]
	l.pending = slices.DeleteFunc(l.pending, func(p *statusCall) bool { return p == c })
	if c.readers == 0 { // all gave up before it was sent: never sent
		if l.out == nil && len(l.pending) == 0 {
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

// sendAfter is how long c waits for the call before it at most: until
// s.hold after that one was sent, and no later than halfway from c's first
// reader's arrival to its deadline, so that a read with little time
// behind a long call still leaves its manager the time to answer.
func (s *statusReader) sendAfter(c, after *statusCall) time.Duration {
	wait := s.hold - time.Since(after.sent)
	if !c.deadline.IsZero() {
		wait = min(wait, c.deadline.Sub(c.came)/2-time.Since(c.came))
	}
	return wait
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
		if len(l.pending) == 0 {
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
