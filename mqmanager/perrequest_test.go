package mqmanager

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestPerRequestRefusedDeclare: the per-request queue is declared with
// no-wait, so the broker's refusal comes as the channel's close, after the
// request has left. It is still the request's outcome, at once: access
// refused naming the permission, never a timeout, no fixture or an
// unreachable broker; the request is not routed (the broker drops a closed
// channel's methods); the client's next request is refused alike, and its
// link stays up (direct reply-to needs no permission).
func TestPerRequestRefusedDeclare(t *testing.T) {
	f := getFloor(t)
	c := f.client(t, oldCtl, ReplyPerRequest, false)
	for i := range 3 {
		start := time.Now()
		_, err := c.Request(ctxTimeout(t, 5*time.Second), uniqueSerial(t), "Echo", nil)
		var ae *amqp.Error
		if !errors.Is(err, ErrAccessRefused) || !errors.As(err, &ae) || ae.Code != amqp.AccessRefused {
			t.Fatalf("request %d: want ErrAccessRefused wrapping the broker's 403, got %v", i, err)
		}
		if errors.Is(err, ErrTimeout) || errors.Is(err, ErrNoFixture) || errors.Is(err, ErrBrokerUnreachable) {
			t.Fatalf("request %d: refusal taken for another outcome: %v", i, err)
		}
		if !strings.Contains(err.Error(), replyQueuePattern) {
			t.Fatalf("request %d: %v does not name the permission needed", i, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("request %d: refused after %v, want at once", i, d)
		}
	}
	d := f.client(t, oldCtl, ReplyDirect, false)
	if _, err := d.Request(ctxTimeout(t, 5*time.Second), uniqueSerial(t), "Echo", nil); !errors.Is(err, ErrNoFixture) {
		t.Fatalf("direct reply-to as %s: want no fixture, got %v", oldCtl, err)
	}
}

// TestPerRequestChannelsPooled: requests reuse the link's channels (a
// channel is back in the pool once its request's cancel is confirmed, so
// sequential requests share a few channels instead of opening one each),
// each request's queue is client-named and gone after it, and every outcome
// stays exact on a reused channel: a no-fixture return goes to its own
// request only.
func TestPerRequestChannelsPooled(t *testing.T) {
	srv := startServerWith(t, nil, func(s *Server) {
		testHandlers(s)
		s.Handle("ReplyTo", HandlerFunc(func(_ context.Context, r *Request) (any, error) { return r.ReplyTo, nil }))
	})
	c := dialClient(t, ReplyPerRequest)
	var queues []string
	for i := range 20 {
		r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "ReplyTo", nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		q := strings.Trim(string(r.Result), `"`)
		if !strings.HasPrefix(q, ReplyQueuePrefix) {
			t.Fatalf("reply_to %q: want a client-named queue %s...", q, ReplyQueuePrefix)
		}
		queues = append(queues, q)
		if _, err := c.Request(ctxTimeout(t, 5*time.Second), uniqueSerial(t), "Echo", nil); !errors.Is(err, ErrNoFixture) {
			t.Fatalf("request %d to nobody: want no fixture, got %v", i, err)
		}
	}
	// A request does not wait for its channel's cancel, so the next one may
	// find it still cancelling and take another, and the spares are
	// declared on pooled channels too: a handful, never one per request.
	before := idleChans(t, c)
	if before < 1 || before > 16 {
		t.Fatalf("%d idle channels after 40 sequential requests, want 1 to 16", before)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Each request opens at most one channel, and at most one more to
	// declare the spare that replaces the one it took.
	if n := idleChans(t, c); n < 1 || n > before+16 {
		t.Fatalf("%d idle channels after 8 requests at once, want 1 to %d", n, before+16)
	}
	waitFor(t, func() bool { return !queueExists(t, queues[len(queues)-1]) })
	for _, q := range queues[:len(queues)-1] {
		if queueExists(t, q) {
			t.Fatalf("reply queue %s outlived its request", q)
		}
	}
}

// idleChans is the number of idle per-request channels of c's link, once
// the requests' goroutines have given theirs back.
func idleChans(t *testing.T, c *Client) int {
	t.Helper()
	l, _ := c.live()
	if l == nil {
		t.Fatal("client has no link")
	}
	n := 0
	waitFor(t, func() bool { n = len(l.idle); return n > 0 })
	time.Sleep(50 * time.Millisecond)
	return len(l.idle)
}

// queueExists asks the broker passively, on a channel of its own (the
// answer closes it): another connection's exclusive queue is locked, a
// missing one not found.
func queueExists(t *testing.T, name string) bool {
	ch := rawChannel(t)
	_, err := ch.QueueDeclarePassive(name, false, true, true, false, nil)
	var ae *amqp.Error
	if !errors.As(err, &ae) || (ae.Code != amqp.NotFound && ae.Code != amqp.ResourceLocked) {
		t.Fatalf("passive declare %s: %v", name, err)
	}
	return ae.Code == amqp.ResourceLocked
}

// TestPerRequestShortLived: a short-lived client's outcomes are the same,
// its reply queues are left to its Close (not cancelled when each request
// ends), and Close deletes them.
func TestPerRequestShortLived(t *testing.T) {
	srv := startServerWith(t, nil, func(s *Server) {
		testHandlers(s)
		s.Handle("ReplyTo", HandlerFunc(func(_ context.Context, r *Request) (any, error) { return r.ReplyTo, nil }))
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{testURL()}}, ShortLived: true, AppID: "mqmanager-test"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var queues []string
	for i := range 3 {
		r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "ReplyTo", nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		queues = append(queues, strings.Trim(string(r.Result), `"`))
	}
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), uniqueSerial(t), "Echo", nil); !errors.Is(err, ErrNoFixture) {
		t.Fatalf("request to nobody: want no fixture, got %v", err)
	}
	if _, err := c.Request(ctxTimeout(t, 300*time.Millisecond), srv.serial, "Echo", echoArgs{Sleep: "5s"}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow request: want timeout, got %v", err)
	}
	for _, q := range queues {
		if !queueExists(t, q) {
			t.Fatalf("reply queue %s gone before Close: a short-lived client leaves it to Close", q)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		waitFor(t, func() bool { return !queueExists(t, q) })
	}
}

// TestPerRequestSpareQueues: a long-lived client declares reply queues
// ahead; a request takes one (its reply_to and correlation id are the
// spare's), every outcome stays exact on spares (reply, no fixture,
// timeout, error reply), each request's queue is gone after it, and Close
// deletes the spares left. A short-lived client declares none.
func TestPerRequestSpareQueues(t *testing.T) {
	srv := startServerWith(t, nil, func(s *Server) {
		testHandlers(s)
		s.Handle("ReplyTo", HandlerFunc(func(_ context.Context, r *Request) (any, error) { return r.ReplyTo, nil }))
	})
	c := dialClient(t, ReplyPerRequest)
	l := spareLink(t, c)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	var used []string
	for i := range 6 {
		waitFor(t, func() bool { return len(l.spares.ready) == spareReplyQueues })
		want := map[string]bool{}
		for _, id := range peekSpares(l) {
			want[ReplyQueuePrefix+id] = true
		}
		r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "ReplyTo", nil)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		q := strings.Trim(string(r.Result), `"`)
		if !want[q] {
			t.Fatalf("request %d replied to %s, not to one of the spares %v", i, q, want)
		}
		used = append(used, q)
		waitFor(t, func() bool { return len(l.spares.ready) == spareReplyQueues })
		if _, err := c.Request(ctxTimeout(t, 5*time.Second), uniqueSerial(t), "Echo", nil); !errors.Is(err, ErrNoFixture) {
			t.Fatalf("request %d to nobody on a spare: want no fixture, got %v", i, err)
		}
	}
	waitFor(t, func() bool { return len(l.spares.ready) == spareReplyQueues })
	if _, err := c.Request(ctxTimeout(t, 300*time.Millisecond), srv.serial, "Echo", echoArgs{Sleep: "5s"}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow request on a spare: want timeout, got %v", err)
	}
	waitFor(t, func() bool { return len(l.spares.ready) == spareReplyQueues })
	var re *RemoteError
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "NoSuchMethod", nil); !errors.As(err, &re) {
		t.Fatalf("unknown method on a spare: want an error reply, got %v", err)
	}
	for _, q := range used {
		waitFor(t, func() bool { return !queueExists(t, q) })
	}
	left := peekSpares(l)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, id := range left {
		waitFor(t, func() bool { return !queueExists(t, ReplyQueuePrefix+id) })
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	short, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{testURL()}}, ShortLived: true})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	for range 3 {
		if _, err := short.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
			t.Fatal(err)
		}
	}
	if sl := spareLink(t, short); len(sl.spares.tokens) != 0 {
		t.Fatalf("a short-lived client declared %d spares", len(sl.spares.tokens))
	}
}

func spareLink(t *testing.T, c *Client) *link {
	t.Helper()
	l, _ := c.live()
	if l == nil {
		t.Fatal("client has no link")
	}
	return l
}

// peekSpares lists l's declared spares, leaving them in place (the test's
// client makes no request meanwhile).
func peekSpares(l *link) []string {
	var ids []string
	for range len(l.spares.ready) {
		id := <-l.spares.ready
		ids = append(ids, id)
		l.spares.ready <- id
	}
	return ids
}
