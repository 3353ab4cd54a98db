package jig_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestConcurrentStatusShared: 50 simultaneous calls are answered by far
// fewer board reads, all with the right answer.
func TestConcurrentStatusShared(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Delay: 20 * time.Millisecond})
	d := openDevice(t, testConfig(link))
	waitFor(t, "connected", 5*time.Second, d.Connected)

	const callers = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			<-start
			st, err := status(t, d)
			if err == nil && (st.Identity != sim.DefaultIdentity || st.State != sim.DefaultState) {
				err = errors.New("wrong status " + st.Identity + " " + st.State)
			}
			st.Fields["mine"] = "x" // -race: shared reads must not share maps
			errs <- err
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	s := d.Stats()
	q := b.Queries()
	t.Logf("%d callers, %d reads, %d coalesced, %d board queries", callers, s.Reads, s.CoalescedReads, q)
	if s.Reads+s.CoalescedReads != callers {
		t.Errorf("reads %d + coalesced %d != %d callers", s.Reads, s.CoalescedReads, callers)
	}
	// Two commands and a fence a read, plus two probes for the resync
	// after opening.
	if s.Reads > 10 || s.Commands != 2*s.Reads || q != s.Commands+s.Reads+2*s.Resyncs || s.Resyncs != 1 {
		t.Errorf("%d reads (%d board queries) for %d callers, want far fewer", s.Reads, q, callers)
	}
}

// TestStatusHonoursCallerContext: a caller whose context ends stops
// waiting, without spoiling the shared read for the others.
func TestStatusHonoursCallerContext(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Delay: 200 * time.Millisecond})
	d := openDevice(t, testConfig(link))
	waitFor(t, "connected", 5*time.Second, d.Connected)

	patient := make(chan error, 1)
	go func() { _, err := status(t, d); patient <- err }()
	waitFor(t, "a read in flight", 5*time.Second, func() bool { return d.Stats().Reads > 0 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Status(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v", err)
	}
	if err := <-patient; err != nil {
		t.Errorf("patient caller: %v", err)
	}
}

// TestSwapBehindLink: a new device node behind the same path while the old
// one is still alive (the link was re-pointed) is noticed and used.
func TestSwapBehindLink(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Identity: "OLD"})
	d := openDevice(t, testConfig(link))
	if st := mustStatus(t, d); st.Identity != "OLD" {
		t.Fatalf("identity %q", st.Identity)
	}
	startBoard(t, link, sim.Config{Identity: "NEW"})
	waitFor(t, "the new board's identity", 5*time.Second, func() bool {
		st, err := status(t, d)
		return err == nil && st.Identity == "NEW"
	})
}

// TestCloseIdempotentNoLeak: Close stops every goroutine, twice is fine,
// and Status afterwards fails cleanly.
func TestCloseIdempotentNoLeak(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Delay: 50 * time.Millisecond})
	before := goroutines(runtime.NumGoroutine())

	d, err := jig.Open(testConfig(link), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, d)
	go d.Status(context.Background()) // a read in flight when Close comes
	waitFor(t, "a second read", 5*time.Second, func() bool { return d.Stats().Reads == 2 })
	for range 2 {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if _, err := status(t, d); !errors.Is(err, jig.ErrUnavailable) {
		t.Errorf("Status after Close: %v", err)
	}
	b.Close()
	if n := goroutines(before); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
