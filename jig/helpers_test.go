package jig_test

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// startBoard plugs a simulated board in at link, unplugged at test end.
func startBoard(t testing.TB, link string, cfg sim.Config) *sim.Board {
	t.Helper()
	b, err := sim.Start(link, cfg, nil)
	if err != nil {
		t.Fatalf("sim.Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newLink is a fresh port path in the test's temporary directory.
func newLink(t testing.TB) string { return filepath.Join(t.TempDir(), "SIM-0001") }

// testConfig is a config for link with short timeouts.
func testConfig(link string) jig.Config {
	cfg := jig.DefaultConfig()
	cfg.Port = link
	cfg.QueryTimeout = 300 * time.Millisecond
	cfg.Resync.Late = time.Second // a silent board's owed answer is written off in a test's time
	cfg.ReconnectMin = 10 * time.Millisecond
	cfg.ReconnectMax = 100 * time.Millisecond
	return cfg
}

// openDevice opens a Device on cfg, closed at test end.
func openDevice(t testing.TB, cfg jig.Config) *jig.Device {
	t.Helper()
	d, err := jig.Open(cfg, nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, within, cond)
}

// status calls Status with a generous deadline.
func status(t testing.TB, d *jig.Device) (jig.Status, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Status(ctx)
}

// mustStatus is status that must succeed.
func mustStatus(t testing.TB, d *jig.Device) jig.Status {
	t.Helper()
	st, err := status(t, d)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	return st
}

// goroutines waits (bounded) until the goroutine count is back to at most
// want, and reports the count.
func goroutines(want int) int {
	deadline := time.Now().Add(5 * time.Second)
	n := runtime.NumGoroutine()
	for n > want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
