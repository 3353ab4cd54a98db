package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/sdnotify"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
)

// underSystemd points NOTIFY_SOCKET at a socket of the test's, as systemd
// does for a Type=notify unit, and asks for a keep-alive every `every`.
func underSystemd(t *testing.T, every time.Duration) *net.UnixConn {
	conn, path := testutil.NotifySocket(t)
	t.Setenv("NOTIFY_SOCKET", path)
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt((2*every).Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	return conn
}

// unreachableConfig is a manager config for a simulated board whose broker
// is a local port nothing listens on (url, which must also be given as
// --url: AMQP_URL would replace the file's), retried every 50 ms at most.
func unreachableConfig(t *testing.T) (path, url string) {
	link := filepath.Join(t.TempDir(), "tty")
	board, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url = "amqp://guest:guest@" + l.Addr().String() + "/"
	l.Close()
	path = filepath.Join(t.TempDir(), "m.yaml")
	yaml := fmt.Sprintf("serial: WD-0001\nfixture: {port: %q}\nbroker: {urls: [%q], reconnect_max: 50ms}\n", link, url)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, url
}

// TestWatchdogBrokerUnreachable: a manager whose broker is down is never
// READY, but keeps systemd's watchdog fed while it retries, so systemd
// does not restart it for the outage.
func TestWatchdogBrokerUnreachable(t *testing.T) {
	conn := underSystemd(t, 20*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	path, url := unreachableConfig(t)
	go func() { done <- run(ctx, []string{"--config", path, "--url", url}, &bytes.Buffer{}, stderr) }()
	defer func() { cancel(); <-done }()

	if msg := testutil.NextDatagram(t, conn, 5*time.Second); msg != "STATUS=connecting to the broker" {
		t.Fatalf("first message %q", msg)
	}
	for kicks := 0; kicks < 25; { // at least half a second: ten backoff periods
		switch msg := testutil.NextDatagram(t, conn, 5*time.Second); {
		case msg == "WATCHDOG=1":
			kicks++
		case strings.Contains(msg, "READY=1") || msg == "":
			t.Fatalf("after %d keep-alives: %q\n%s", kicks, msg, stderr)
		}
	}
	if n := strings.Count(stderr.String(), "reconnecting"); n < 3 {
		t.Fatalf("%d reconnect attempts logged, want several:\n%s", n, stderr)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	done <- nil
	for msg := ""; msg != "STOPPING=1"; {
		if msg = testutil.NextDatagram(t, conn, 5*time.Second); msg == "" {
			t.Fatal("no STOPPING=1")
		}
	}
}

// stuckLoop stands in for one of the manager's loops that stops making
// progress: the real ones cannot be hung on demand from here (mqmanager's
// and jig's liveness tests hang theirs for real).
type stuckLoop struct{ atomic.Bool }

func (s *stuckLoop) Liveness(time.Time) error {
	if s.Load() {
		return errors.New("test loop stuck")
	}
	return nil
}

// TestWatchdogWithheldWhileStuck: keep-alives stop while a loop is stuck,
// with the reason in STATUS=, and resume when it is not.
func TestWatchdogWithheldWhileStuck(t *testing.T) {
	const every = 10 * time.Millisecond
	conn := underSystemd(t, every)
	path, url := unreachableConfig(t)
	cfg, err := load(options{config: path, url: url}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	d, err := manager.New(cfg, version, log, manager.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	st := &status{notify: sdnotify.New(os.Getenv("NOTIFY_SOCKET")), line: "serving"}
	var loop stuckLoop
	stop := startWatchdog(st.notify, st, func(now time.Time) error {
		return errors.Join(d.Liveness(now), loop.Liveness(now))
	}, log)
	defer stop()

	expect(t, conn, "WATCHDOG=1")
	loop.Store(true)
	expect(t, conn, "STATUS=stuck, watchdog keep-alives withheld: test loop stuck")
	if msg := testutil.NextDatagram(t, conn, 20*every); msg != "" {
		t.Fatalf("while stuck: %q within 20 periods, want nothing", msg)
	}
	loop.Store(false)
	expect(t, conn, "STATUS=serving")
	expect(t, conn, "WATCHDOG=1")
}

// expect reads messages until want, skipping keep-alives sent before it.
func expect(t *testing.T, conn *net.UnixConn, want string) {
	t.Helper()
	for {
		switch msg := testutil.NextDatagram(t, conn, 5*time.Second); msg {
		case want:
			return
		case "WATCHDOG=1":
		default:
			t.Fatalf("got %q, want %q", msg, want)
		}
	}
}
