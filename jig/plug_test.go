package jig_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// TestUnplugReplug: unplugging gives ErrUnavailable and Connected false,
// also while idle; a new board at the same link (a new /dev/pts/N) is
// picked up by the same Device.
func TestUnplugReplug(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{})
	d := openDevice(t, testConfig(link))
	mustStatus(t, d)

	b.Close()
	waitFor(t, "Connected() == false while idle", 5*time.Second, func() bool { return !d.Connected() })
	st, err := status(t, d)
	if !errors.Is(err, jig.ErrUnavailable) || st.Connected {
		t.Fatalf("after unplug: %+v, %v; want ErrUnavailable", st, err)
	}
	if !strings.Contains(err.Error(), link) {
		t.Errorf("error %q does not name the port", err)
	}

	b2 := startBoard(t, link, sim.Config{Identity: "REPLUGGED"})
	waitFor(t, "Connected() after replug", 5*time.Second, d.Connected)
	if st := mustStatus(t, d); st.Identity != "REPLUGGED" || !st.Connected {
		t.Errorf("after replug: %+v", st)
	}
	if b2.Queries() == 0 {
		t.Errorf("the new board was not asked")
	}
	if s := d.Stats(); s.Reconnects != 1 {
		t.Errorf("stats = %+v, want one reconnect", s)
	}
}

// TestSwapBehindPath: another board that takes over the path while the
// first is still there (a udev link re-pointed) is read at the very next
// status, never the old one through the descriptor still open on it.
func TestSwapBehindPath(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Identity: "OLD"})
	cfg := testConfig(link)
	cfg.ReconnectMin, cfg.ReconnectMax = time.Hour, time.Hour
	d := openDevice(t, cfg)
	if st := mustStatus(t, d); st.Identity != "OLD" {
		t.Fatalf("first board: %+v", st)
	}
	startBoard(t, link, sim.Config{Identity: "NEW"})
	if st := mustStatus(t, d); st.Identity != "NEW" {
		t.Errorf("right after the swap: identity %q, want the new board's", st.Identity)
	}
}

// TestReplugOnDemand: a Status call right after a replug reopens the port
// itself instead of waiting for the background retry.
func TestReplugOnDemand(t *testing.T) {
	link := newLink(t)
	cfg := testConfig(link)
	cfg.ReconnectMin, cfg.ReconnectMax = time.Hour, time.Hour // no background retry
	d := openDevice(t, cfg)
	if _, err := status(t, d); !errors.Is(err, jig.ErrUnavailable) {
		t.Fatalf("no board yet: err = %v", err)
	}
	startBoard(t, link, sim.Config{})
	if st := mustStatus(t, d); !st.Connected || st.State != sim.DefaultState {
		t.Errorf("status %+v", st)
	}
}

// TestUnplugDuringRead: a board that vanishes mid-conversation gives
// ErrUnavailable, not a timeout.
func TestUnplugDuringRead(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Fault: sim.FaultSilent})
	cfg := testConfig(link)
	cfg.QueryTimeout = 30 * time.Second
	d := openDevice(t, cfg)
	waitFor(t, "connected", 5*time.Second, d.Connected)
	done := make(chan error, 1)
	go func() { _, err := status(t, d); done <- err }()
	waitFor(t, "the board to get the command", 5*time.Second, func() bool { return b.Queries() > 0 })
	b.Close()
	select {
	case err := <-done:
		if !errors.Is(err, jig.ErrUnavailable) {
			t.Errorf("err = %v, want ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("read did not notice the unplug")
	}
}

// TestOpenAbsentPort: Open succeeds without the port; Status says why.
func TestOpenAbsentPort(t *testing.T) {
	d := openDevice(t, testConfig(newLink(t)))
	if d.Connected() {
		t.Error("connected to nothing")
	}
	_, err := status(t, d)
	if !errors.Is(err, jig.ErrUnavailable) {
		t.Errorf("err = %v", err)
	}
}

type syncBuffer = testutil.SyncBuffer

// openLogged opens a Device on cfg that logs, as text, into the buffer it
// returns; closed at test end.
func openLogged(t *testing.T, cfg jig.Config) (*jig.Device, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	d, err := jig.Open(cfg, slog.New(slog.NewTextHandler(out, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, out
}

// TestLogging: with a logger, opening and losing the port are logged with
// the port as an attribute.
func TestLogging(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{})
	d, out := openLogged(t, testConfig(link))
	mustStatus(t, d)
	b.Close()
	waitFor(t, "the loss to be logged", 5*time.Second, func() bool {
		return strings.Contains(out.String(), "serial port lost")
	})
	if s := out.String(); !strings.Contains(s, `msg="serial port open"`) || !strings.Contains(s, "port="+link) {
		t.Errorf("log:\n%s", s)
	}
}

// TestCloseMidReadNotLost: a Device closed while a conversation waits
// for a silent board ends it at once, and does not warn of a port "lost":
// it closed the port itself.
func TestCloseMidReadNotLost(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{Fault: sim.FaultSilent})
	cfg := testConfig(link)
	cfg.QueryTimeout = 30 * time.Second
	d, out := openLogged(t, cfg)
	waitFor(t, "the board to get a command", 5*time.Second, func() bool { return b.Queries() > 0 })
	start := time.Now()
	d.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v mid-conversation", took)
	}
	if strings.Contains(out.String(), "serial port lost") {
		t.Errorf("the Device's own close logged as a lost port:\n%s", out)
	}
}

// TestUnsolicitedLogSpaced: a board that floods the line is logged about
// once a second, not once per read of its flood (each read of 100 KiB
// without a newline used to be a warning of its own).
func TestUnsolicitedLogSpaced(t *testing.T) {
	link := newLink(t)
	startBoard(t, link, sim.Config{Fault: sim.FaultLongLine})
	d, out := openLogged(t, testConfig(link))
	start := time.Now()
	for range 4 {
		if _, err := status(t, d); err == nil {
			t.Fatal("a status read from a board sending 100 KiB lines")
		}
	}
	elapsed := time.Since(start)
	n := strings.Count(out.String(), "unsolicited input")
	if limit := int(elapsed/time.Second) + 2; n == 0 || n > limit {
		t.Errorf("%d warnings of unsolicited input in %v, want 1 to %d:\n%.2000s", n, elapsed, limit, out.String())
	}
}

// TestUnsolicitedTailLogged: input that arrived unasked within a second of
// the last warning is logged once the board is quiet (by the idle probe),
// not only with the board's next outburst, which may be hours away.
func TestUnsolicitedTailLogged(t *testing.T) {
	link := newLink(t)
	b := startBoard(t, link, sim.Config{})
	d, out := openLogged(t, testConfig(link))
	mustStatus(t, d)
	warnings := func() int { return strings.Count(out.String(), "unsolicited input") }
	if err := b.Say("EVENT door open"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first line warned of", 5*time.Second, func() bool { return warnings() == 1 })
	if err := b.Say("EVENT door closed"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second line warned of, the board quiet since", 5*time.Second, func() bool { return warnings() == 2 })
	if !strings.Contains(out.String(), "door closed") {
		t.Errorf("the second warning does not show the second line:\n%s", out.String())
	}
}
