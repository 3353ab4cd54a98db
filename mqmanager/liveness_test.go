package mqmanager

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// unusedURL is a broker URL on a local port nothing listens on.
func unusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "amqp://guest:guest@" + addr + "/"
}

// runUnready runs s until the end of the test and waits for it, without
// waiting for it to be ready (runServer does).
func runUnready(t *testing.T, s *Server) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// TestLivenessBrokerUnreachable: a server that cannot reach its broker is
// retrying, which is progress: Liveness stays nil attempt after attempt.
func TestLivenessBrokerUnreachable(t *testing.T) {
	var ready atomic.Bool
	s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{unusedURL(t)}}, Serial: uniqueSerial(t),
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 50 * time.Millisecond,
		OnReady: func() { ready.Store(true) }})
	if err != nil {
		t.Fatal(err)
	}
	start := s.Progress()
	runUnready(t, s)
	testutil.WaitFor(t, "progress over ten backoff periods", 10*time.Second, func() bool {
		if err := s.Liveness(time.Now()); err != nil {
			t.Fatalf("retrying server reported stuck: %v", err)
		}
		return s.Progress().Sub(start) > 500*time.Millisecond
	})
	if ready.Load() {
		t.Fatal("ready without a broker")
	}
	last := s.Progress()
	if err := s.Liveness(last.Add(s.StallLimit())); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if err := s.Liveness(last.Add(s.StallLimit() + time.Millisecond)); err == nil {
		t.Fatal("no error past the limit")
	}
}

// blockingServer runs a server with one handler slot and a Block method
// that announces itself on started and then waits for unblock, deaf to its
// context. unblock is also called at the end of the test, before the
// server's stop, which waits for its handlers.
func blockingServer(t *testing.T, hb time.Duration) (s *Server, started chan struct{}, unblock func()) {
	ready, release := make(chan struct{}, 8), make(chan struct{})
	started = make(chan struct{}, 2)
	s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{testURL()}, Heartbeat: hb},
		Serial: uniqueSerial(t), ServerLimits: ServerLimits{Concurrency: 1}, OnReady: func() { notifyNB(ready) }})
	if err != nil {
		t.Fatal(err)
	}
	s.Handle("Block", HandlerFunc(func(context.Context, *Request) (any, error) {
		started <- struct{}{}
		<-release
		return "done", nil
	}))
	runUnready(t, s)
	var once sync.Once
	unblock = func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	<-ready
	return s, started, unblock
}

// caller sends Block requests on goroutines that end with the test. Their
// outcome does not matter: the session's reader, unblocked, may find its
// probe deadline long past and drop the link, and a reply with it.
func caller(t *testing.T, s *Server) (call func()) {
	c := dialClient(t, ReplyShared)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	return func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Request(ctx, s.cfg.Serial, "Block", nil)
		}()
	}
}

// TestLivenessStuckHandler: a handler that ignores its context, holding the
// only handler slot while another request arrives, stops the supervisor's
// progress; once it returns, progress resumes.
func TestLivenessStuckHandler(t *testing.T) {
	const hb = 200 * time.Millisecond // a probe every 100 ms
	s, started, unblock := blockingServer(t, hb)
	call := caller(t, s)
	call()
	<-started
	busy := time.Now()
	testutil.WaitFor(t, "progress while one handler is busy", 5*time.Second,
		func() bool { return s.Progress().After(busy) })

	call() // waits for the slot, in the session's only reader
	var stuck time.Time
	testutil.WaitFor(t, "progress to stop", 10*time.Second, func() bool {
		stuck = s.Progress()
		time.Sleep(3 * hb) // an observation window: six probe periods
		return s.Progress().Equal(stuck)
	})
	if err := s.Liveness(stuck.Add(s.StallLimit() + time.Millisecond)); err == nil {
		t.Fatal("stuck supervisor not reported")
	}
	unblock()
	testutil.WaitFor(t, "progress to resume", 10*time.Second, func() bool { return s.Progress().After(stuck) })
	<-started
}
