package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// heldCalls is a status reader's ask that the test answers by hand: each
// call sent shows up on sent with its number (from 1), and returns that
// number when the test closes its release channel, or ends as the
// Client's call does when its context ends.
type heldCalls struct {
	n      atomic.Int64
	sent   chan heldCall
	linked atomic.Bool // the gateway's client has a link (unlinked)
}

type heldCall struct {
	n       int64
	ctx     context.Context
	release chan struct{}
}

func newHeldReader(t *testing.T, hold time.Duration) (*statusReader, *heldCalls) {
	h := &heldCalls{sent: make(chan heldCall, 16)}
	h.linked.Store(true)
	s := newStatusReader(h.ask, func(string, *statusCall) {}, h.unlinked)
	s.hold = hold
	t.Cleanup(s.close)
	return s, h
}

func (h *heldCalls) ask(ctx context.Context, serial string) (json.RawMessage, *jigapi.Status, error) {
	c := heldCall{n: h.n.Add(1), ctx: ctx, release: make(chan struct{})}
	h.sent <- c
	select {
	case <-c.release:
		return json.RawMessage(strconv.FormatInt(c.n, 10)), &jigapi.Status{}, nil
	case <-ctx.Done(): // as the Client ends a call
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, nil, ctx.Err()
		}
		if err := h.unlinked(); err != nil {
			return nil, nil, err
		}
		return nil, nil, &mqmanager.TimeoutError{Serial: serial, Method: jigapi.JigStatus.Name()}
	}
}

func (h *heldCalls) unlinked() error {
	if h.linked.Load() {
		return nil
	}
	return errors.Join(mqmanager.ErrBrokerUnreachable, errors.New("test: no link"))
}

func (h *heldCalls) next(t *testing.T) heldCall {
	t.Helper()
	select {
	case c := <-h.sent:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no status call sent within 10s")
		return heldCall{}
	}
}

// start starts a read as read does, without waiting for its answer: a
// call sent now is made on a goroutine the test waits for.
func start(t *testing.T, s *statusReader, ctx context.Context, serial string) *statusCall {
	c, now := s.join(ctx, serial)
	if now {
		var wg sync.WaitGroup
		wg.Go(func() { s.callNow(serial, c) })
		t.Cleanup(wg.Wait)
	}
	return c
}

func awaitCall(t *testing.T, c *statusCall) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("status call not back within 10s")
	}
}

// TestStatusReadsWaitForTheNextCall: reads that arrive while a call is out
// never get its answer (it was sent before they arrived); they share the
// next call, sent when the first comes back.
func TestStatusReadsWaitForTheNextCall(t *testing.T) {
	s, h := newHeldReader(t, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := start(t, s, ctx, "F")
	first := h.next(t)
	b, c := start(t, s, ctx, "F"), start(t, s, ctx, "F")
	if b == a || c != b {
		t.Fatal("reads that arrived while a call was out did not share the next call")
	}
	select {
	case extra := <-h.sent:
		t.Fatalf("call %d sent while call 1 was out", extra.n)
	default:
	}
	close(first.release)
	awaitCall(t, a)
	second := h.next(t)
	close(second.release)
	awaitCall(t, b)
	if string(a.res) != "1" || string(b.res) != "2" {
		t.Errorf("answers: first read %s, later reads %s; want 1 and 2", a.res, b.res)
	}
	if other := start(t, s, ctx, "G"); other == b { // another fixture has calls of its own
		t.Error("two fixtures share a call")
	}
	close(h.next(t).release)
}

// TestStatusReadOwnDeadline: a read stops waiting at its own deadline with
// the Client's timeout, and a call nobody waits for is cancelled.
func TestStatusReadOwnDeadline(t *testing.T) {
	s, h := newHeldReader(t, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var err error
	done := make(chan struct{})
	go func() { _, _, err = s.read(ctx, "F"); close(done) }()
	call := h.next(t)
	<-done
	var te *mqmanager.TimeoutError
	if !errors.As(err, &te) || !errors.Is(err, mqmanager.ErrTimeout) || te.Method != jigapi.JigStatus.Name() {
		t.Fatalf("read past its deadline: %v, want a *mqmanager.TimeoutError", err)
	}
	select {
	case <-call.ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the call was not cancelled when its only reader left")
	}
}

// waitFor runs s.wait for a read that joined c, its result on the channel.
func waitFor(s *statusReader, ctx context.Context, c *statusCall) <-chan error {
	out := make(chan error, 1)
	go func() { _, _, err := s.wait(ctx, "F", c); out <- err }()
	return out
}

func result(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("read not answered within 10s")
		return nil
	}
}

// oneCallOut is a held reader whose one read (a minute's deadline) has its
// call out, held until the test releases it: reads from now wait for the
// next call.
func oneCallOut(t *testing.T) (*statusReader, *heldCalls, heldCall) {
	s, h := newHeldReader(t, time.Hour)
	long, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	start(t, s, long, "F")
	return s, h, h.next(t)
}

// TestStatusCallEndsWithItsReaders: a call out whose last reader went away
// is cancelled, and not recorded as an outcome; one whose last reader's
// deadline ended ends as a timeout, which is recorded.
func TestStatusCallEndsWithItsReaders(t *testing.T) {
	for _, c := range []struct {
		name    string
		timeout time.Duration // 0: the reader cancels
		want    error
	}{{"reader gone", 0, context.Canceled}, {"reader's deadline", 100 * time.Millisecond, mqmanager.ErrTimeout}} {
		t.Run(c.name, func(t *testing.T) {
			s, h := newHeldReader(t, time.Hour)
			start(t, s, context.Background(), "F")
			first := h.next(t)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if c.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), c.timeout)
			}
			defer cancel()
			next := start(t, s, ctx, "F")
			done := waitFor(s, ctx, next)
			close(first.release)
			second := h.next(t) // sent, and held
			if c.timeout == 0 {
				cancel()
			}
			if err := result(t, done); !errors.Is(err, c.want) {
				t.Fatalf("reader: %v, want %v", err, c.want)
			}
			awaitCall(t, next)
			if second.ctx.Err() == nil {
				t.Error("the call outlived its last reader")
			}
			if !errors.Is(next.err, c.want) {
				t.Errorf("the call's outcome: %v, want %v", next.err, c.want)
			}
		})
	}
}

// TestStatusStuckCallHoldsNextOnlyForHold: a call that does not come back
// holds the next one back for the hold at most.
func TestStatusStuckCallHoldsNextOnlyForHold(t *testing.T) {
	s, h := newHeldReader(t, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start(t, s, ctx, "F")
	stuck := h.next(t)
	b := start(t, s, ctx, "F")
	second := h.next(t) // sent while the first is still out
	if stuck.ctx.Err() != nil {
		t.Fatal("the stuck call was cancelled")
	}
	close(second.release)
	awaitCall(t, b)
	if string(b.res) != "2" || b.err != nil {
		t.Errorf("read behind a stuck call: %s, %v", b.res, b.err)
	}
	close(stuck.release)
}

// TestStatusReadsAnsweredByLaterCalls: many readers at once, each read
// answered by a call numbered above every call sent when it arrived, and
// fewer calls than reads.
func TestStatusReadsAnsweredByLaterCalls(t *testing.T) {
	var sent atomic.Int64
	s := newStatusReader(func(ctx context.Context, _ string) (json.RawMessage, *jigapi.Status, error) {
		n := sent.Add(1)
		time.Sleep(time.Millisecond) // a call takes a while: the work being measured, not synchronisation
		return json.RawMessage(strconv.FormatInt(n, 10)), &jigapi.Status{}, nil
	}, func(string, *statusCall) {}, func() error { return nil })
	defer s.close()
	const readers, each = 32, 20
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for range each {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				before := sent.Load()
				res, _, err := s.read(ctx, "F")
				cancel()
				n, _ := strconv.ParseInt(string(res), 10, 64)
				if err != nil || n <= before {
					t.Errorf("read that arrived after call %d answered by %s (%v)", before, res, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := sent.Load(); n >= readers*each {
		t.Errorf("%d calls for %d reads: none shared", n, readers*each)
	}
}

// TestStatusReaderClose: close ends the calls out and waits for them;
// reads after it fail at once.
func TestStatusReaderClose(t *testing.T) {
	s, h := newHeldReader(t, time.Hour)
	c := start(t, s, context.Background(), "F")
	h.next(t)
	s.close()
	awaitCall(t, c)
	if !errors.Is(c.err, context.Canceled) {
		t.Errorf("call out at close: %v, want context.Canceled", c.err)
	}
	if _, _, err := s.read(context.Background(), "F"); !errors.Is(err, context.Canceled) {
		t.Errorf("read after close: %v", err)
	}
}
