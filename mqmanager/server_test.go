package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestSecondServerRefused: a second manager for a served serial gets
// ErrAlreadyServed from Run instead of answering too.
func TestSecondServerRefused(t *testing.T) {
	srv := startServer(t, nil)
	s2, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{testURL()}}, Serial: srv.serial})
	if err != nil {
		t.Fatal(err)
	}
	err = s2.Run(ctxTimeout(t, 10*time.Second))
	if !errors.Is(err, ErrAlreadyServed) {
		t.Fatalf("second Run: want ErrAlreadyServed, got %v", err)
	}
}

// TestUnanswerableDropped: requests without reply_to or correlation_id are
// dropped and counted; the next good request is answered.
func TestUnanswerableDropped(t *testing.T) {
	srv := startServer(t, nil)
	ch := rawChannel(t)
	key := RoutingKey(srv.serial, "Echo")
	bad := []amqp.Publishing{
		{Body: []byte(`{}`), CorrelationId: "x"},
		{Body: []byte(`{}`), ReplyTo: "nowhere"},
	}
	for _, p := range bad {
		if err := ch.Publish(Exchange, key, false, false, p); err != nil {
			t.Fatal(err)
		}
	}
	c := dialClient(t, ReplyDirect)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	// Requests on one queue are delivered in order, so the two bad ones
	// were seen before the good one was answered.
	if got := srv.Stats().Dropped; got != 2 {
		t.Fatalf("dropped %d, want 2", got)
	}
}

// TestReplyToMissingQueue: a reply to a queue that does not exist is lost
// at the broker and the server goes on.
func TestReplyToMissingQueue(t *testing.T) {
	srv := startServer(t, nil)
	ch := rawChannel(t)
	err := ch.Publish(Exchange, RoutingKey(srv.serial, "Echo"), false, false,
		amqp.Publishing{Body: []byte(`{}`), CorrelationId: "x", ReplyTo: "no-such-queue-" + srv.serial})
	if err != nil {
		t.Fatal(err)
	}
	c := dialClient(t, ReplyShared)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats().Methods["Echo"].Requests; got != 2 {
		t.Fatalf("Echo handled %d times, want 2", got)
	}
}

// TestUnknownMethodsBooked: requests for made-up methods are answered
// unknown_method and counted in one row of the stats, never a row each.
func TestUnknownMethodsBooked(t *testing.T) {
	srv := startServer(t, nil)
	c := dialClient(t, ReplyDirect)
	for i := range 20 {
		_, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, fmt.Sprintf("Junk%d", i), nil)
		wantRemote(t, err, jigapi.CodeUnknownMethod)
	}
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	if len(st.Methods) != 2 || st.Methods[OtherMethod].Requests != 20 || st.Methods[OtherMethod].Errors != 20 ||
		st.Methods["Echo"].Requests != 1 {
		t.Fatalf("stats rows %v, want Echo and %s (20 requests, 20 errors)", st.Methods, OtherMethod)
	}
}

// TestExpiredNotExecuted: a request whose deadline has passed is not run.
func TestExpiredNotExecuted(t *testing.T) {
	srv := startServer(t, nil)
	ch := rawChannel(t)
	err := ch.Publish(Exchange, RoutingKey(srv.serial, "Echo"), false, false, amqp.Publishing{
		Body: []byte(`{}`), CorrelationId: "x", ReplyTo: "amq.rabbitmq.reply-to-none",
		Headers: amqp.Table{DeadlineHeader: time.Now().Add(-time.Second).UnixMilli()}})
	if err != nil {
		t.Fatal(err)
	}
	c := dialClient(t, ReplyDirect)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	st := srv.Stats()
	if st.Expired != 1 || st.Methods["Echo"].Requests != 1 {
		t.Fatalf("expired %d, Echo run %d times; want 1 and 1", st.Expired, st.Methods["Echo"].Requests)
	}
}

// TestSlowDoesNotBlockFast: handlers run concurrently.
func TestSlowDoesNotBlockFast(t *testing.T) {
	srv := startServer(t, nil)
	c := dialClient(t, ReplyShared)
	slowDone := make(chan error, 1)
	go func() {
		_, err := c.Request(ctxTimeout(t, 10*time.Second), srv.serial, "Echo", echoArgs{Sleep: "3s"})
		slowDone <- err
	}()
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", echoArgs{Text: "fast"}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-slowDone:
		t.Fatalf("slow request finished before the fast one: %v", err)
	default:
	}
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}

// TestBroadcast: _all reaches every manager; each answers once.
func TestBroadcast(t *testing.T) {
	a, b := startServer(t, nil), startServer(t, nil)
	for _, mode := range allModes {
		c := dialClient(t, mode)
		seen := map[string]int{}
		// Other managers may share the broker: count only ours, which must
		// each answer once, and ok.
		err := c.Broadcast(ctxTimeout(t, 2*time.Second), "Echo", echoArgs{Text: "all"}, func(r *Reply, err error) bool {
			var re *RemoteError
			switch {
			case errors.As(err, &re) && (re.Serial == a.serial || re.Serial == b.serial):
				t.Errorf("%v: error reply from %s: %v", mode, re.Serial, err)
			case err == nil:
				seen[r.Serial]++
			}
			return true
		})
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		if seen[a.serial] != 1 || seen[b.serial] != 1 {
			t.Fatalf("%v: replies %v, want one from each of %s and %s", mode, seen, a.serial, b.serial)
		}
	}
}

// TestJunkReplies: replies with unknown correlation ids are discarded and
// the client keeps matching real replies.
func TestJunkReplies(t *testing.T) {
	srv := startServer(t, nil)
	c := dialClient(t, ReplyShared)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatal(err)
	}
	queue := c.cur.mux.rp.queue
	ch := rawChannel(t)
	for i := 0; i < 1000; i++ {
		err := ch.Publish("", queue, false, false, amqp.Publishing{CorrelationId: "junk", Body: []byte("junk")})
		if err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", echoArgs{Text: "after"})
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Result) != `{"text":"after"}` {
		t.Fatalf("result %s", r.Result)
	}
	// The junk came on another connection, so it may still be arriving.
	waitFor(t, func() bool { return c.Discarded() >= 1000 })
	if c.Discarded() != 1000 {
		t.Fatalf("discarded %d, want 1000", c.Discarded())
	}
}

// TestConnectionLossFailsPending: pending requests fail with
// ErrBrokerUnreachable as soon as the connection drops, and the next
// request reconnects.
func TestConnectionLossFailsPending(t *testing.T) {
	srv := startServer(t, func(c *ServerConfig) { c.ShutdownGrace = 50 * time.Millisecond })
	for _, mode := range allModes {
		c := dialClient(t, mode)
		const n = 5
		var wg sync.WaitGroup
		errs := make(chan error, n)
		started := make(chan struct{}, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				started <- struct{}{}
				_, err := c.Request(ctxTimeout(t, 30*time.Second), srv.serial, "Echo", echoArgs{Sleep: "20s"})
				errs <- err
			}()
		}
		for i := 0; i < n; i++ {
			<-started
		}
		waitFor(t, func() bool { return srv.Stats().InFlight == n })
		c.cur.conn.Close()
		wg.Wait()
		close(errs)
		for err := range errs {
			if !errors.Is(err, ErrBrokerUnreachable) {
				t.Fatalf("%v: want ErrBrokerUnreachable, got %v", mode, err)
			}
		}
		r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", echoArgs{Text: "again"})
		if err != nil || string(r.Result) != `{"text":"again"}` {
			t.Fatalf("%v: after reconnect: %v %v", mode, r, err)
		}
	}
}

// TestGracefulStop: a stop lets the requests in flight finish and reply.
func TestGracefulStop(t *testing.T) {
	srv := startServer(t, nil)
	c := dialClient(t, ReplyDirect)
	res := make(chan error, 1)
	go func() {
		_, err := c.Request(ctxTimeout(t, 10*time.Second), srv.serial, "Echo", echoArgs{Sleep: "300ms"})
		res <- err
	}()
	waitFor(t, func() bool { return srv.Stats().InFlight == 1 })
	srv.cancel()
	if err := <-res; err != nil {
		t.Fatalf("in-flight request during stop: %v", err)
	}
}

// TestStopCutsAfterGrace: a request still running when the stop's
// shutdown grace has passed is cancelled and answered internal, saying
// the manager stopped, not "context canceled". The grace counts from the
// stop's start, OnStop's time (its Stopped event) in it: the stop takes
// the grace and the link's close, not OnStop's time on top.
func TestStopCutsAfterGrace(t *testing.T) {
	const grace, onStop = time.Second, 800 * time.Millisecond
	srv := startServer(t, func(c *ServerConfig) {
		c.ShutdownGrace, c.OnStop = grace, func() { time.Sleep(onStop) }
	})
	c := dialClient(t, ReplyDirect)
	res := make(chan error, 1)
	go func() {
		_, err := c.Request(ctxTimeout(t, 20*time.Second), srv.serial, "Echo", echoArgs{Sleep: "15s"})
		res <- err
	}()
	waitFor(t, func() bool { return srv.Stats().InFlight == 1 })
	start := time.Now()
	srv.stop(t)
	took := time.Since(start)
	var re *RemoteError
	if err := <-res; !errors.As(err, &re) || re.Code != jigapi.CodeInternal ||
		!strings.Contains(re.Message, "the manager stopped before the request was finished") {
		t.Fatalf("request cut by the stop: %v", err)
	}
	if took < grace || took > grace+onStop/2 {
		t.Errorf("stop took %v, want the grace %v (OnStop's %v in it) and the link's close", took, grace, onStop)
	}
}

// TestTutorialQueue: the classic tutorial's plain-text exchange.
func TestTutorialQueue(t *testing.T) {
	queue := "rpc_queue_" + uniqueSerial(t)
	startServer(t, func(c *ServerConfig) {
		c.TutorialQueue = queue
		c.Tutorial = func(_ context.Context, body []byte) ([]byte, error) {
			return append([]byte("got "), body...), nil
		}
	})
	t.Cleanup(func() { rawChannel(t).QueueDelete(queue, false, false, false) })
	c := dialClient(t, ReplyPerRequest)
	out, err := c.CallQueue(ctxTimeout(t, 5*time.Second), queue, []byte("30"))
	if err != nil || string(out) != "got 30" {
		t.Fatalf("CallQueue: %q %v", out, err)
	}
	missing := "no_such_queue_" + uniqueSerial(t)
	_, err = c.CallQueue(ctxTimeout(t, 5*time.Second), missing, []byte("1"))
	if !errors.Is(err, ErrNoFixture) || err.Error() != "no queue "+missing+" on the broker" {
		t.Fatalf("missing queue: want ErrNoFixture, said of a queue, got %v", err)
	}
}

func TestStatsCount(t *testing.T) {
	srv := startServer(t, nil)
	c := dialClient(t, ReplyShared)
	for i := 0; i < 3; i++ {
		c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil)
	}
	c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", json.RawMessage(`x`))
	m := srv.Stats().Methods["Echo"]
	if m.Requests != 4 || m.Errors != 1 || m.LastError == "" {
		t.Fatalf("stats %+v, want 4 requests and 1 error", m)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, "condition", 10*time.Second, cond)
}
