package sdnotify

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

func TestSend(t *testing.T) {
	conn, path := testutil.NotifySocket(t)
	n := New(path)
	if !n.Enabled() {
		t.Fatal("not enabled")
	}
	if err := n.Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := testutil.NextDatagram(t, conn, 5*time.Second); got != "READY=1" {
		t.Fatalf("got %q", got)
	}
}

// watch runs a Watchdog on path until the end of the test; its reports
// come out of the returned channel.
func watch(t *testing.T, path string, every time.Duration, check func(time.Time) error) <-chan error {
	reports := make(chan error, 4)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(path).Watchdog(ctx, every, check, func(err error) { reports <- err })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return reports
}

// TestWatchdog: keep-alives while the check passes, none while it fails
// (reported once), and again once it passes.
func TestWatchdog(t *testing.T) {
	const every = 5 * time.Millisecond
	conn, path := testutil.NotifySocket(t)
	var stuck atomic.Bool
	reports := watch(t, path, every, func(time.Time) error {
		if stuck.Load() {
			return errors.New("stuck")
		}
		return nil
	})

	if got := testutil.NextDatagram(t, conn, 5*time.Second); got != "WATCHDOG=1" {
		t.Fatalf("healthy: got %q, want WATCHDOG=1", got)
	}
	stuck.Store(true)
	if err := <-reports; err == nil || err.Error() != "stuck" {
		t.Fatalf("report %v, want the check's error", err)
	}
	for testutil.NextDatagram(t, conn, time.Millisecond) != "" { // kicks queued before the report
	}
	if got := testutil.NextDatagram(t, conn, 20*every); got != "" {
		t.Fatalf("while failing: got %q within 20 ticks, want nothing", got)
	}
	stuck.Store(false)
	if err := <-reports; err != nil {
		t.Fatalf("report %v, want nil on recovery", err)
	}
	if got := testutil.NextDatagram(t, conn, 5*time.Second); got != "WATCHDOG=1" {
		t.Fatalf("recovered: got %q, want WATCHDOG=1", got)
	}
	if len(reports) != 0 {
		t.Fatalf("extra reports: %v", <-reports)
	}
}

func TestDisabledAndInterval(t *testing.T) {
	if err := New("").Send("READY=1"); err != nil || New("").Enabled() {
		t.Fatal("empty socket must do nothing")
	}
	env := map[string]string{"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}
	get := func(k string) string { return env[k] }
	if d, ok := WatchdogInterval(get, 42); !ok || d != 15*time.Second {
		t.Fatalf("interval %v %v", d, ok)
	}
	if _, ok := WatchdogInterval(get, 7); ok {
		t.Fatal("watchdog for another pid")
	}
	env["WATCHDOG_USEC"] = ""
	if _, ok := WatchdogInterval(get, 42); ok {
		t.Fatal("watchdog without WATCHDOG_USEC")
	}
	if got := ExtendTimeout(30 * time.Second); got != "EXTEND_TIMEOUT_USEC=30000000" {
		t.Fatalf("ExtendTimeout(30s) = %q", got)
	}
}

// TestSendBounded: a listener that reads nothing fills its queue, and then
// Send gives up after sendTimeout instead of blocking its caller.
func TestSendBounded(t *testing.T) {
	_, path := testutil.NotifySocket(t)
	n := New(path)
	for i := 0; i < 100000; i++ {
		start := time.Now()
		err := n.Send("WATCHDOG=1")
		if err == nil {
			continue
		}
		if took := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || took > sendTimeout+5*time.Second {
			t.Fatalf("send %d: %v after %v; want a timeout after %v", i, err, took, sendTimeout)
		}
		return
	}
	t.Fatal("100000 sends to a listener that reads nothing all went through")
}
