package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

func testURL() string { return testutil.AMQPURL(mqmanager.DefaultURL) }

// uniqueSerial is a serial no other test run uses.
func uniqueSerial() string { return "CTL-" + uuid.NewString()[:13] }

// fixture is a jig-manager running in-process for a fresh serial, with a
// simulated board on a pseudo-terminal behind its port.
type fixture struct {
	serial string
	link   string
	mu     sync.Mutex
	board  *sim.Board
	// stop stops the manager and waits (bounded) until it has; the
	// cleanup calls it too.
	stop func()
	cfg  manager.Config // the manager's, for startManager again
}

// startFixture starts a board and a manager for it, and waits until the
// manager consumes. Both are stopped at the end of the test.
func startFixture(t testing.TB) *fixture { return startFixtureWith(t, uniqueSerial(), nil) }

// startFixtureWith is startFixture for serial with mod applied to the
// manager's configuration.
func startFixtureWith(t testing.TB, serial string, mod func(*manager.Config)) *fixture {
	t.Helper()
	f := &fixture{serial: serial, link: filepath.Join(t.TempDir(), "tty")}
	f.plug(t)
	cfg := manager.DefaultConfig()
	cfg.Serial = f.serial
	cfg.Broker.URLs = []string{testURL()}
	cfg.Fixture.Port = f.link
	cfg.Fixture.ReconnectMin, cfg.Fixture.ReconnectMax = 10*time.Millisecond, 50*time.Millisecond
	cfg.Server.ShutdownGrace = time.Second
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.stop()
		f.unplug(t)
	})
	f.startManager(t, cfg)
	return f
}

// startManager runs a manager for cfg (again, after stop), sets f.stop,
// and returns once it consumes.
func (f *fixture) startManager(t testing.TB, cfg manager.Config) {
	t.Helper()
	ready := make(chan struct{}, 8)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- manager.Run(ctx, cfg, "test", slog.New(slog.DiscardHandler),
			manager.Hooks{OnReady: func() { ready <- struct{}{} }})
	}()
	f.cfg = cfg
	f.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager %s: %v", f.serial, err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("manager %s did not stop within 15s", f.serial)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("manager ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("manager not ready within 10s")
	}
}

// plug starts a board at the fixture's link (again, after unplug).
func (f *fixture) plug(t testing.TB) {
	t.Helper()
	b, err := sim.Start(f.link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.board = b
	f.mu.Unlock()
}

// unplug closes the board, if one is plugged in.
func (f *fixture) unplug(t testing.TB) {
	t.Helper()
	f.mu.Lock()
	b := f.board
	f.board = nil
	f.mu.Unlock()
	if b != nil {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	}
}

// silentQueue binds a queue for a fresh serial that never answers, so a
// request to that serial is routed and times out.
func silentQueue(t testing.TB) string {
	t.Helper()
	ch := testutil.RawChannel(t, testURL())
	serial := uniqueSerial()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, serial+".Req.*", mqmanager.Exchange, false, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return serial
}

// syncBuffer is a bytes.Buffer safe to read while run writes to it, which
// tells a waiter about every write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // gets a token after writes; made on first use
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.signal() <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

func (s *syncBuffer) signal() chan struct{} {
	if s.written == nil {
		s.written = make(chan struct{}, 1)
	}
	return s.written
}

func (s *syncBuffer) wrote() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signal()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jigctl runs the CLI in-process with the test broker and returns its
// stdout, stderr and exit code.
func jigctl(t testing.TB, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	err := run(ctx, append([]string{"--url", testURL()}, args...), &stdout, &stderr)
	code := cli.Finish("jigctl", err, &stderr)
	return stdout.String(), stderr.String(), code
}

// wantCode runs jigctl and checks its exit code.
func wantCode(t testing.TB, code int, args ...string) (string, string) {
	t.Helper()
	out, errOut, got := jigctl(t, args...)
	if got != code {
		t.Fatalf("jigctl %s: exit %d, want %d\nstdout: %s\nstderr: %s",
			strings.Join(args, " "), got, code, out, errOut)
	}
	return out, errOut
}

// waitOutput waits until w's output contains want, or fails the test.
func waitOutput(t testing.TB, w *syncBuffer, want string, done <-chan error) {
	t.Helper()
	waitFor(t, w, done, fmt.Sprintf("%q", want), func(s string) bool { return strings.Contains(s, want) })
}

// waitFor waits until ok accepts w's output (what describes it), failing
// the test if the command ends first or 20 s pass.
func waitFor(t testing.TB, w *syncBuffer, done <-chan error, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !ok(w.String()) {
		select {
		case err := <-done:
			t.Fatalf("ended (%v) before printing %s; output:\n%s", err, what, w.String())
		case <-deadline:
			t.Fatalf("no %s within 20s; output:\n%s", what, w.String())
		case <-w.wrote():
		}
	}
}

// interrupted runs jigctl with args, interrupts it (its context
// cancelled, as Ctrl-C does) once reached has returned, and returns its
// exit code and stderr; it fails the test if jigctl has not ended 10 s
// after the interrupt, far less than the --timeout or --wait the tests
// give it.
func interrupted(t *testing.T, args []string, reached func()) (int, string) {
	t.Helper()
	return interruptedOut(t, args, nil, reached)
}

// interruptedOut is interrupted that also decodes jigctl's stdout, JSON,
// into out if it is not nil.
func interruptedOut(t *testing.T, args []string, out any, reached func()) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		err := run(ctx, args, &stdout, &stderr)
		done <- cli.Finish("jigctl", err, &stderr)
	}()
	reached()
	cancel()
	select {
	case code := <-done:
		if out != nil {
			if err := json.Unmarshal([]byte(stdout.String()), out); err != nil {
				t.Fatalf("stdout %q: %v", stdout.String(), err)
			}
		}
		return code, stderr.String()
	case <-time.After(10 * time.Second):
		t.Fatalf("jigctl %s ignored the interrupt", strings.Join(args, " "))
		return 0, ""
	}
}
