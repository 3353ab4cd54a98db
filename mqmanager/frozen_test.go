package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// TestOutcomeKeepsHungDial: a dial whose TCP connect hung until the
// request's deadline is broker unreachable, also when the net error under
// it matches context.DeadlineExceeded (whether it does depends on which
// of Go's two connect timers fired first): the request never reached the
// bus, so it is not a timeout.
func TestOutcomeKeepsHungDial(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now())
	defer cancel()
	<-ctx.Done()
	hung := &net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}
	dialErr := dialFailed("amqp://guest:guest@127.0.0.1:5672/", Broker{}, hung, nil, newHandshake(ctx))
	if !errors.Is(dialErr, ErrBrokerUnreachable) || !errors.Is(dialErr, context.DeadlineExceeded) {
		t.Fatalf("the dial's error %v: want broker unreachable, with a deadline under it", dialErr)
	}
	err := (&Client{}).outcome(ctx, target{serial: "T-1", method: "Echo"}, dialErr)
	if !errors.Is(err, ErrBrokerUnreachable) || errors.Is(err, ErrTimeout) {
		t.Fatalf("outcome %v: want broker unreachable, not a timeout", err)
	}
}

// TestRequestsOnPausedBroker: the broker pauses (its link open and
// silent, no new connection accepted). Requests time out until the
// heartbeats show the link dead; then every one is broker unreachable,
// by its deadline, both of two made at once: one dials anew (its TCP
// connect hangs once the broker's accept queue is full), the other waits
// for that dial.
func TestRequestsOnPausedBroker(t *testing.T) {
	p, url := testutil.NewProxy(t, testURL(), testutil.AcceptQueueOfOne)
	c := dialNamed(t, url, ReplyPerRequest, "", time.Second)
	serial, unreachable := uniqueSerial(t), 0
	// The link works before the pause.
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), serial, "Echo", nil); !errors.Is(err, ErrNoFixture) {
		t.Fatalf("before the pause: want no fixture, got %v", err)
	}
	p.Pause()
	seen := -1 // the round the link was first seen dead in: its pair may end either way
	for i := 0; unreachable < 16; i++ {
		if i == 50 {
			t.Fatal("the paused link not seen dead after 50 rounds of requests")
		}
		for j, err := range requestPair(t, c, serial) {
			switch {
			case errors.Is(err, ErrBrokerUnreachable):
				unreachable++
				if seen < 0 {
					seen = i
				}
			case !errors.Is(err, ErrTimeout) || (unreachable > 0 && i != seen):
				t.Fatalf("round %d, request %d, after %d unreachable: %v", i, j, unreachable, err)
			}
			t.Logf("round %d, request %d: %v", i, j, err)
		}
	}
}

// TestFrozenRightAfterDial: links freeze as soon as Dial returns, the
// broker having sent nothing since connection.open-ok. amqp091-go then
// clears the handshake's deadline, and its heartbeater arms the read
// deadline for the frame it was woken for, open-ok, before or after that
// clear: a race, lost by about half of the links, which without a
// deadline of the dial's own are never seen dead. So eight links: each
// must be seen dead within DeadWithin, its request, with a longer
// deadline, broker unreachable by it, not a timeout.
func TestFrozenRightAfterDial(t *testing.T) {
	const hb, links = time.Second, 8
	p, url := testutil.NewProxy(t, testURL(), testutil.AcceptQueueOfOne)
	clients := make([]*Client, links)
	for i := range clients {
		clients[i] = dialNamed(t, url, ReplyPerRequest, "", hb)
	}
	p.Pause()
	deadline, serial := DeadWithin(hb)+time.Second, uniqueSerial(t)
	outs := make([]<-chan outcome, links)
	for i, c := range clients {
		outs[i] = requestAsync(c, serial, nil, deadline)
	}
	for i, o := range outs {
		wantOutcome(t, fmt.Sprintf("link %d, frozen since its dial", i), o, ErrBrokerUnreachable, deadline)
	}
}

// requestPair makes two requests to serial at once, each with a 300 ms
// deadline, and returns their outcomes; it fails the test if one ends
// more than a second after its deadline.
func requestPair(t *testing.T, c *Client, serial string) [2]error {
	const deadline = 300 * time.Millisecond
	var errs [2]error
	var wg sync.WaitGroup
	for j := range errs {
		wg.Go(func() {
			start := time.Now()
			_, errs[j] = c.Request(ctxTimeout(t, deadline), serial, "Echo", nil)
			if took := time.Since(start); took > deadline+time.Second {
				t.Errorf("request ended %v after it began, its deadline %v: %v", took, deadline, errs[j])
			}
		})
	}
	wg.Wait()
	return errs
}

// TestDialWaitLoginStalled: the broker greets a dial (connection.start)
// but never gets its login. The caller dialling and the one waiting for
// it are both broker unreachable by their deadlines, the login not
// accepted: not a connect timeout, which says the broker had accepted it.
func TestDialWaitLoginStalled(t *testing.T) {
	c, dialling := cutLink(t, func(p *testutil.Proxy) { p.Mute(true) })
	serial := uniqueSerial(t)
	slow := dialling(func() <-chan outcome { return requestAsync(c, serial, nil, 2*time.Second) })
	waiter := <-requestAsync(c, serial, nil, 300*time.Millisecond)
	if !errors.Is(waiter.err, ErrBrokerUnreachable) || !strings.Contains(waiter.err.Error(), "not accepted the login") {
		t.Errorf("waiting caller: %v, want broker unreachable, the login not accepted", waiter.err)
	}
	if o := <-slow; !errors.Is(o.err, ErrBrokerUnreachable) || !strings.Contains(o.err.Error(), "login was not accepted") {
		t.Errorf("dialling caller: %v, want broker unreachable, the login not accepted", o.err)
	}
}

// TestCloseEndsDialWait: Close fails a request waiting for another's dial
// at once, with ErrClosed, as it fails every request pending.
func TestCloseEndsDialWait(t *testing.T) {
	c, dialling := cutLink(t, func(p *testutil.Proxy) { p.Stall(true) })
	serial := uniqueSerial(t)
	slow := dialling(func() <-chan outcome { return requestAsync(c, serial, nil, 3*time.Second) })
	waiter := requestAsync(c, serial, nil, 2*time.Second)
	testutil.WaitFor(t, "second caller waiting", 5*time.Second, func() bool { return len(c.dialing) == 1 })
	c.Close()
	wantOutcome(t, "waiting caller", waiter, ErrClosed, time.Second)
	<-slow
}

// cutLink dials a direct-mode client through a proxy, has arrange set the
// proxy up for the next dial, cuts the link and waits until the client
// knows it lost it. dialling starts a request with start and returns once
// that request is dialling anew (the proxy accepted its connection).
func cutLink(t *testing.T, arrange func(*testutil.Proxy)) (c *Client, dialling func(start func() <-chan outcome) <-chan outcome) {
	t.Helper()
	p, url := testutil.NewProxy(t, testURL())
	c = dialNamed(t, url, ReplyDirect, "", 0)
	arrange(p)
	p.Cut()
	testutil.WaitFor(t, "link lost", 5*time.Second, func() bool { l, _ := c.live(); return l == nil })
	return c, func(start func() <-chan outcome) <-chan outcome {
		before := p.Accepted()
		o := start()
		testutil.WaitFor(t, "first caller dialling", 5*time.Second, func() bool { return p.Accepted() > before })
		return o
	}
}
