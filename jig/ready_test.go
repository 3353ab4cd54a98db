package jig_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// defaultsOn is the default configuration on link (query timeout 1s: the
// resync after an open ends in a second of silence), reconnecting fast.
func defaultsOn(link string) jig.Config {
	cfg := jig.DefaultConfig()
	cfg.Port = link
	cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 100*time.Millisecond
	return cfg
}

// waitReadied waits until the Device has brought the line in step resyncs
// times in all, without being asked: the resync after each open. If it
// does not, the test goes on to show what a request then meets.
func waitReadied(t *testing.T, d *jig.Device, resyncs uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for d.Stats().Resyncs < resyncs {
		if time.Now().After(deadline) {
			t.Errorf("the line was not readied after the port opened: stats %+v", d.Stats())
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// statusWithin is a status read with a deadline of within, which must
// answer.
func statusWithin(t *testing.T, d *jig.Device, within time.Duration) jig.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	start := time.Now()
	st, err := d.Status(ctx)
	if err != nil {
		t.Fatalf("status read with a %v deadline: %v after %v; stats %+v", within, err, time.Since(start), d.Stats())
	}
	return st
}

// TestFirstReadAfterOpen: with the default configuration, the first
// status read after the port opens, at start and after the board is
// replaced on the same link, answers within a 1 s deadline. The Device
// readies the line as soon as it opens the port; the first request used
// to do it, spending a query timeout of silence after the probes, and
// failed with a serial timeout on a healthy board.
func TestFirstReadAfterOpen(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Identity: "FIRST"})
	d := openDevice(t, defaultsOn(link))
	waitReadied(t, d, 1)
	if st := statusWithin(t, d, time.Second); st.Identity != "FIRST" {
		t.Fatalf("first board: %+v", st)
	}
	b.Close()
	waitFor(t, "the unplug noticed", 5*time.Second, func() bool { return !d.Connected() })
	startBoard(t, link, sim.Config{Identity: "SECOND"})
	waitFor(t, "the port reopened", 5*time.Second, func() bool { return d.Stats().Reconnects == 1 })
	waitReadied(t, d, 2)
	if st := statusWithin(t, d, time.Second); st.Identity != "SECOND" {
		t.Fatalf("replaced board: %+v", st)
	}
	if s := d.Stats(); s.ResyncFailures != 0 || s.Resyncs != 2 || s.Errors != 0 {
		t.Errorf("stats %+v, want one resync an open, none failed", s)
	}
}

// TestReadDuringReadying: a status read whose deadline comes while the
// line is still being readied after the open says so, as the deadline's
// error, not the board's; the resync goes on, and the next read finds
// the line in step.
func TestReadDuringReadying(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{})
	d := openDevice(t, defaultsOn(link))
	waitFor(t, "connected", 5*time.Second, d.Connected)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := d.Status(ctx)
	if !errors.Is(err, jig.ErrResyncing) || !errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "re-synchronising the line after the port opened") {
		t.Fatalf("read cut while the line is readied: %v", err)
	}
	waitReadied(t, d, 1)
	statusWithin(t, d, time.Second)
	// The read cut short went on for the others: the second read shared it
	// or came after it, with no resync of its own.
	if s := d.Stats(); s.Resyncs != 1 || s.ResyncFailures != 0 || s.Errors != 0 {
		t.Errorf("stats %+v, want the one resync and no failed read", s)
	}
}
