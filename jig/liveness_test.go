package jig

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
)

// connected opens a Device on cfg with a simulated board behind its port,
// both closed at the end of the test, and waits until the port is open.
func connected(t *testing.T, cfg Config) *Device {
	cfg.Port = filepath.Join(t.TempDir(), "tty")
	board, err := sim.Start(cfg.Port, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	d, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	testutil.WaitFor(t, "connected", 5*time.Second, d.Connected)
	return d
}

// TestLivenessStuckRead: a status read that cannot get the port (the test
// holds it, as a read blocked in the kernel would) is reported once it has
// lasted longer than its queries allow, while the supervisor, which never
// waits for the port, keeps coming round. Giving the port back ends it.
func TestLivenessStuckRead(t *testing.T) {
	d := connected(t, Config{QueryTimeout: 100 * time.Millisecond})
	<-d.conv // the port is held and not given back
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if _, err := d.Status(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Status with the port held: %v, want the caller's deadline", err)
	}
	cancel()
	d.flightMu.Lock()
	f := d.flight
	d.flightMu.Unlock()
	if f == nil {
		t.Fatal("no read in flight")
	}
	if err := d.Liveness(time.Now()); err != nil {
		t.Fatalf("within the limit: %v", err)
	}
	held := time.Now()
	testutil.WaitFor(t, "supervisor rounds while the port is held", 5*time.Second,
		func() bool { return d.Progress().After(held) })
	limit := d.flightLimit()
	err := d.Liveness(f.started.Add(limit + time.Millisecond))
	if err == nil || !strings.Contains(err.Error(), "status read") {
		t.Fatalf("read held past its limit: %v, want it reported stuck", err)
	}

	d.conv <- struct{}{}
	<-f.done
	if f.err != nil {
		t.Fatalf("the read, once it got the port: %v", f.err)
	}
	if err := d.Liveness(time.Now()); err != nil {
		t.Fatalf("after the read: %v", err)
	}
}

// TestLivenessPortAbsent: a Device whose port is missing keeps retrying,
// which is progress: Liveness stays nil round after round. Only a
// supervisor that stops coming round is reported.
func TestLivenessPortAbsent(t *testing.T) {
	d, err := Open(Config{Port: filepath.Join(t.TempDir(), "absent"),
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := d.Progress()
	testutil.WaitFor(t, "rounds over several backoff periods", 5*time.Second, func() bool {
		if err := d.Liveness(time.Now()); err != nil {
			t.Fatalf("retrying device reported stuck: %v", err)
		}
		return d.Progress().Sub(start) > 500*time.Millisecond
	})
	if d.Connected() {
		t.Fatal("connected without a board")
	}
	err = d.Liveness(d.Progress().Add(time.Minute))
	if err == nil || !strings.Contains(err.Error(), "serial supervisor") {
		t.Fatalf("a minute without a round: %v, want the supervisor reported stuck", err)
	}
}
