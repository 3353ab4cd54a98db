package manager

import (
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// readied waits until the manager's Device has brought the line in step
// resyncs times in all, unasked: once after each open of the port.
func (f *fixture) readied(t *testing.T, resyncs uint64) {
	t.Helper()
	waitFor(t, func() bool { return f.daemon.dev.Stats().Resyncs >= resyncs })
}

// TestFirstStatusAfterOpen: with the default query_timeout (1 s), the
// first status request after the manager starts, and after the board is
// replaced on the same link, is answered within a 1 s deadline. It used
// to get serial_timeout: the line was readied on the first request, whose
// resync ends in a query_timeout of silence.
func TestFirstStatusAfterOpen(t *testing.T) {
	// Returns once the line is ready: no sleep, the readying's own event.
	f := startFixture(t, func(c *Config) { c.Fixture.QueryTimeout, c.Fixture.Resync.Late = time.Second, 5*time.Second })
	if _, err := f.ask(t, "JigStatus", nil, time.Second); err != nil {
		t.Fatalf("first status after the manager started: %v", err)
	}
	f.board.Close()
	waitFor(t, func() bool { return !f.daemon.dev.Connected() })
	board, err := sim.Start(f.link, sim.Config{Identity: "again"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	waitFor(t, func() bool { return f.daemon.dev.Stats().Reconnects == 1 })
	f.readied(t, 2)
	if _, err := f.ask(t, "JigStatus", nil, time.Second); err != nil {
		t.Fatalf("first status after the board was replaced: %v", err)
	}
}

// TestStatusDuringReadying: a status request whose deadline comes while
// the line is being readied after the port opened (query_timeout 3 s: the
// resync takes over 3 s) gets serial_timeout saying so, not blaming the
// board's answer; once the line is ready, the next is answered at once.
func TestStatusDuringReadying(t *testing.T) {
	f := startFixtureEarly(t, func(c *Config) { c.Fixture.QueryTimeout = 3 * time.Second })
	if s := f.daemon.dev.Stats(); s.Resyncs != 0 {
		t.Fatalf("the line was readied before the manager consumed (over 3 s): %+v", s)
	}
	_, err := f.ask(t, "JigStatus", nil, time.Second)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	if msg := err.Error(); !strings.Contains(msg, "re-synchronising the line after the port opened") ||
		strings.Contains(msg, "board's answer") {
		t.Errorf("serial_timeout does not say the resync after the open took the time: %v", err)
	}
	f.readied(t, 1)
	if _, err := f.ask(t, "JigStatus", nil, time.Second); err != nil {
		t.Fatalf("status once the line is ready: %v", err)
	}
}
