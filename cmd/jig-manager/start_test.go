package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/sdnotify"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

// fastExtend makes the manager extend its start timeout every `every`, for
// the test; run's goroutine, started after this, sees it.
func fastExtend(t *testing.T, every time.Duration) string {
	old := extendEvery
	extendEvery = every
	t.Cleanup(func() { extendEvery = old })
	return sdnotify.ExtendTimeout(3 * every)
}

// startRun runs jig-manager with args until the end of the test, which
// must have put it under systemd first.
func startRun(t *testing.T, args ...string) (stop func() error, stderr *syncBuffer) {
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, stderr) }()
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			err, stopped = <-done, true
		}
		return err
	}
	t.Cleanup(func() { stop() })
	return stop, stderr
}

// waitServing waits until a manager run by the test logs that it serves;
// at most 10 s. The run tells no event but its log.
func waitServing(t *testing.T, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "msg=serving") {
		if time.Now().After(deadline) {
			t.Fatalf("not serving within 10s:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStartExtendedWhileBrokerUnreachable: a manager whose broker is
// unreachable is not READY, but extends its start timeout again and again
// while it retries, saying why it waits; it stops extending when it stops.
func TestStartExtendedWhileBrokerUnreachable(t *testing.T) {
	conn := underSystemd(t, time.Hour) // no watchdog kicks in the way
	extend := fastExtend(t, 10*time.Millisecond)
	path, url := unreachableConfig(t)
	stop, stderr := startRun(t, "--config", path, "--url", url)

	extensions, waiting := 0, ""
	deadline := time.Now().Add(10 * time.Second)
	for extensions < 20 || waiting == "" { // 20 periods, several retries
		if time.Now().After(deadline) {
			t.Fatalf("within 10s: %d extensions, status %q\n%s", extensions, waiting, stderr)
		}
		switch msg := testutil.NextDatagram(t, conn, 5*time.Second); {
		case msg == extend:
			extensions++
		case strings.HasPrefix(msg, "STATUS=waiting for the broker: "):
			waiting = msg
		case strings.Contains(msg, "READY=1") || msg == "":
			t.Fatalf("after %d extensions: %q\n%s", extensions, msg, stderr)
		}
	}
	if !strings.Contains(waiting, "connection refused") || !strings.Contains(waiting, mqmanager.Redact(url)) ||
		strings.Contains(waiting, "guest:guest") {
		t.Fatalf("status %q: want the reason, with the URL but not its password", waiting)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	_, left := untilStopping(t, conn)
	noExtension(t, "after STOPPING=1", left)
}

// untilStopping returns the messages up to STOPPING=1, and left those
// after it: run, which has returned, sent them all.
func untilStopping(t *testing.T, conn *net.UnixConn) (before, left []string) {
	t.Helper()
	for msg := testutil.NextDatagram(t, conn, 5*time.Second); msg != "STOPPING=1"; msg = testutil.NextDatagram(t, conn, 5*time.Second) {
		if msg == "" {
			t.Fatalf("no STOPPING=1 after %q", before)
		}
		before = append(before, msg)
	}
	for msg := testutil.NextDatagram(t, conn, 10*time.Millisecond); msg != ""; msg = testutil.NextDatagram(t, conn, 10*time.Millisecond) {
		left = append(left, msg)
	}
	return before, left
}

func noExtension(t *testing.T, when string, msgs []string) {
	t.Helper()
	for _, msg := range msgs {
		if strings.HasPrefix(msg, "EXTEND_TIMEOUT_USEC=") {
			t.Fatalf("%s: %q", when, msg)
		}
	}
}

// TestStartExtensionStopsWhileStuck: a manager not READY stops extending
// its start timeout while one of its loops is stuck, so that the timeout
// strikes, and extends it again once the loop is not.
func TestStartExtensionStopsWhileStuck(t *testing.T) {
	conn := underSystemd(t, time.Hour)
	const every = 10 * time.Millisecond
	path, url := unreachableConfig(t)
	d := newDaemon(t, path, url)
	var loop stuckLoop
	checks := make(chan error, 1000) // the extender's checks, in order
	st := &status{notify: sdnotify.New(os.Getenv("NOTIFY_SOCKET"))}
	stop := startExtender(context.Background(), st, every, func(now time.Time) error {
		err := errors.Join(d.Liveness(now), loop.Liveness(now))
		select {
		case checks <- err:
		default:
		}
		return err
	}, slog.New(slog.DiscardHandler))
	defer stop()

	extend := sdnotify.ExtendTimeout(3 * every)
	expect(t, conn, extend)
	loop.Store(true)
	for nextCheck(t, checks) == nil { // up to the first check that fails
	}
	// Any extension of the ticks before it was sent before it: drain them.
	for testutil.NextDatagram(t, conn, time.Millisecond) != "" {
	}
	nextCheck(t, checks)
	nextCheck(t, checks) // two more failed ticks, and their kicks, if any, are done
	if msg := testutil.NextDatagram(t, conn, time.Millisecond); msg != "" {
		t.Fatalf("while stuck: %q", msg)
	}
	loop.Store(false)
	expect(t, conn, extend)
}

// nextCheck is the result of the extender's next liveness check.
func nextCheck(t *testing.T, checks <-chan error) error {
	t.Helper()
	select {
	case err := <-checks:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the extender checked nothing within 5s")
		return nil
	}
}

// newDaemon builds, and runs until the end of the test, the manager that
// the config file at path (and url) describe.
func newDaemon(t *testing.T, path, url string) *manager.Daemon {
	cfg, err := load(options{config: path, url: url}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	d, err := manager.New(cfg, version, slog.New(slog.DiscardHandler), manager.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

// TestReadyOnceConsumerLive: with a reachable broker, READY=1 comes once
// the consumer is live (a request sent right then is answered), and no
// extension of the start timeout follows it, while the watchdog's
// keep-alives, with the same period, show time passing.
func TestReadyOnceConsumerLive(t *testing.T) {
	conn := underSystemd(t, 10*time.Millisecond)
	fastExtend(t, 10*time.Millisecond)
	serial := "RD-" + uuid.NewString()[:12]
	link := filepath.Join(t.TempDir(), "tty")
	board, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	url := testutil.AMQPURL(mqmanager.DefaultURL)
	stop, stderr := startRun(t, "--serial", serial, "--port", link, "--url", url)

	for msg := ""; msg != "READY=1\nSTATUS=serving "+serial; {
		if msg = testutil.NextDatagram(t, conn, 10*time.Second); msg == "" {
			t.Fatalf("no READY=1 within 10s:\n%s", stderr)
		}
	}
	c, err := mqmanager.Dial(ctxTimeout(t, 5*time.Second), mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{url}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), serial, "Ping", nil); err != nil {
		t.Fatalf("Ping right after READY=1: %v", err)
	}
	for kicks := 0; kicks < 5; { // at least four periods
		switch msg := testutil.NextDatagram(t, conn, 5*time.Second); {
		case msg == "WATCHDOG=1":
			kicks++
		case msg == "" || strings.HasPrefix(msg, "EXTEND_TIMEOUT_USEC="):
			t.Fatalf("after READY=1 and %d keep-alives: %q", kicks, msg)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	before, left := untilStopping(t, conn)
	noExtension(t, "after READY=1", append(before, left...))
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
