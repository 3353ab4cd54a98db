package manager

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

type fixture struct {
	serial string
	link   string
	board  *sim.Board
	client *mqmanager.Client
	cfg    Config
	daemon *Daemon
	ready  <-chan struct{} // each (re)connect of the manager after the first
	stop   func()          // stops the manager (idempotent; also at the test's end)
}

func testURL() string { return testutil.AMQPURL(mqmanager.DefaultURL) }

// startFixture runs a jigsim board and a manager for a fresh serial, and
// returns once the manager consumes and has readied its line to the board,
// as it does after every open of the port, with probes: a test counting
// the board's commands starts from a board at rest. Both are stopped at
// the end.
func startFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	f := startFixtureEarly(t, mod)
	f.readied(t, 1)
	return f
}

// startFixtureEarly is startFixture returning once the manager consumes,
// its line to the board maybe still being readied.
func startFixtureEarly(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	f := &fixture{serial: "M-" + uuid.NewString()[:12], link: filepath.Join(t.TempDir(), "tty")}
	var err error
	if f.board, err = sim.Start(f.link, sim.Config{Identity: "SIM," + f.serial}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.board.Close() })
	cfg := DefaultConfig()
	cfg.Serial, cfg.Broker.URLs = f.serial, []string{testURL()}
	cfg.Fixture.Port, cfg.Fixture.QueryTimeout = f.link, 300*time.Millisecond
	cfg.Fixture.Resync.Late = time.Second // a silent board's owed answers are written off in a test's time
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	f.cfg = cfg
	f.daemon, f.ready, f.stop = runDaemon(t, cfg)
	f.client = dialURL(t, cfg.Broker.URLs[0])
	return f
}

// runManager runs a manager for cfg until the returned stop is called or
// the test ends, and returns once it consumes.
func runManager(t *testing.T, cfg Config) (stop func()) {
	_, _, stop = runDaemon(t, cfg)
	return stop
}

// runDaemon is runManager with the daemon, and a channel told of each of
// its later (re)connects.
func runDaemon(t *testing.T, cfg Config) (d *Daemon, reconnected <-chan struct{}, stop func()) {
	return runLogged(t, cfg, slog.New(slog.DiscardHandler))
}

// runLogged is runDaemon logging to log.
func runLogged(t *testing.T, cfg Config, log *slog.Logger) (d *Daemon, reconnected <-chan struct{}, stop func()) {
	ready := make(chan struct{}, 16)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	d, err := New(cfg, "test", log, Hooks{OnReady: func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		cancel()
		t.Fatalf("manager New: %v", err)
	}
	go func() { done <- d.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager Run: %v", err)
		}
	})
	t.Cleanup(stop)
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("manager ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("manager not ready within 10s")
	}
	return d, ready, stop
}

func dial(t *testing.T) *mqmanager.Client { return dialURL(t, testURL()) }

func dialURL(t *testing.T, url string) *mqmanager.Client {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{url}},
		ReplyMode: mqmanager.ReplyShared})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (f *fixture) ask(t *testing.T, method string, body any, timeout time.Duration) (*mqmanager.Reply, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return f.client.Request(ctx, f.serial, method, body)
}

func (f *fixture) status(t *testing.T) (jigapi.Status, error) {
	r, err := f.ask(t, "JigStatus", nil, 5*time.Second)
	if err != nil {
		return jigapi.Status{}, err
	}
	var st jigapi.Status
	if err := json.Unmarshal(r.Result, &st); err != nil {
		t.Fatalf("status result %s: %v", r.Result, err)
	}
	return st, nil
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var re *mqmanager.RemoteError
	if !errors.As(err, &re) || re.Code != code {
		t.Fatalf("want error reply %s, got %v", code, err)
	}
}

func TestStatusFromBoard(t *testing.T) {
	f := startFixture(t, nil)
	st, err := f.status(t)
	if err != nil {
		t.Fatal(err)
	}
	if st.Identity != "SIM,"+f.serial || st.State != "READY" || !st.Connected || st.Port != f.link {
		t.Fatalf("status %+v", st)
	}
	if st.Fields["identity"] != st.Identity || st.ReadAt.IsZero() {
		t.Fatalf("status fields %+v", st)
	}
}

func TestFib(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Fib.MaxN = 1000 })
	r, err := f.ask(t, "Fib", map[string]int{"n": 90}, 5*time.Second)
	if err != nil || string(r.Result) != `{"n":90,"value":"2880067194370816120"}` {
		t.Fatalf("Fib 90: %v %v", r, err)
	}
	for _, body := range []string{`{"n": 1001}`, `{"n": -1}`, `{}`, `{"n": "5"}`, `{"n": 1e40}`, `{"n": 1.5}`} {
		_, err := f.ask(t, "Fib", json.RawMessage(body), 5*time.Second)
		wantCode(t, err, jigapi.CodeBadRequest)
	}
}

func TestTutorialQueue(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Compat.TutorialQueue = "rpc_queue_" + c.Serial })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := "rpc_queue_" + f.serial
	t.Cleanup(func() { deleteQueue(t, q) })
	out, err := f.client.CallQueue(ctx, q, []byte("30"))
	if err != nil || string(out) != "832040" {
		t.Fatalf("tutorial 30: %q %v", out, err)
	}
	out, err = f.client.CallQueue(ctx, q, []byte("thirty"))
	if err != nil || string(out) != `error: bad_request: body must be an integer, got "thirty"` {
		t.Fatalf("tutorial thirty: %q %v", out, err)
	}
}

// TestSilentBoard: a board that never answers gets serial_timeout, while
// Ping and Fib on the same manager still answer.
func TestSilentBoard(t *testing.T) {
	f := startFixture(t, nil)
	f.board.SetFault(sim.FaultSilent)
	done := make(chan error, 1)
	go func() { _, err := f.status(t); done <- err }()
	if _, err := f.ask(t, "Ping", nil, 5*time.Second); err != nil {
		t.Fatalf("ping during a silent read: %v", err)
	}
	if _, err := f.ask(t, "Fib", map[string]int{"n": 10}, 5*time.Second); err != nil {
		t.Fatalf("fib during a silent read: %v", err)
	}
	wantCode(t, <-done, jigapi.CodeSerialTimeout)
	f.board.SetFault(sim.FaultError)
	_, err := f.status(t)
	wantCode(t, err, jigapi.CodeFixtureError)
	f.board.SetFault(sim.FaultGarbage)
	_, err = f.status(t)
	wantCode(t, err, jigapi.CodeFixtureError)
	f.board.SetFault(sim.FaultNone)
	if _, err := f.status(t); err != nil {
		t.Fatalf("after faults cleared: %v", err)
	}
}

// TestBoardLateBeforeDeadline: a board that does not answer within a
// request's deadline is told to the caller, still waiting, as
// serial_timeout (an error reply), not left to the caller's own timeout,
// which could as well be a lost manager: for a status read and a Query.
func TestBoardLateBeforeDeadline(t *testing.T) {
	// query_timeout 300ms; the silent board's answers owed for all of the
	// test's calls, written off before the last
	f := startFixture(t, func(c *Config) { c.Fixture.Resync.Late = 3 * time.Second })
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	f.board.SetFault(sim.FaultSilent)
	_, err := f.ask(t, "JigStatus", nil, 250*time.Millisecond)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	_, err = f.ask(t, "Query", jigapi.QueryArgs{Command: "STAT?"}, 250*time.Millisecond)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	// The status read's *IDN? went unanswered: the Query waited for it.
	if !strings.Contains(err.Error(), `the board still owes the answer to an earlier "*IDN?"`) {
		t.Errorf("the Query's reply does not say what the manager waited for: %v", err)
	}
	_, err = f.ask(t, "JigStatus", nil, 250*time.Millisecond)
	wantCode(t, err, jigapi.CodeSerialTimeout)
	if !strings.Contains(err.Error(), "the board still owes") {
		t.Errorf("the status read's reply does not say what the manager waited for: %v", err)
	}
	f.board.SetFault(sim.FaultNone)
	if _, err := f.status(t); err != nil {
		t.Fatalf("after the board answers again: %v", err)
	}
}

// TestUnplugReplug: an unplugged board gives serial_unavailable and Ping
// says connected false; a board plugged in again at the same link is read
// again by the same manager.
func TestUnplugReplug(t *testing.T) {
	f := startFixture(t, nil)
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	f.board.Close()
	_, err := f.status(t)
	wantCode(t, err, jigapi.CodeSerialUnavailable)
	waitFor(t, func() bool { return !f.ping(t).Connected })
	board, err := sim.Start(f.link, sim.Config{Identity: "again"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	waitFor(t, func() bool { st, err := f.status(t); return err == nil && st.Identity == "again" })
	if !f.ping(t).Connected {
		t.Fatal("ping says disconnected after replug")
	}
}

func (f *fixture) ping(t *testing.T) jigapi.PingResult {
	r, err := f.ask(t, "Ping", nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var p jigapi.PingResult
	json.Unmarshal(r.Result, &p)
	return p
}

// TestConcurrentStatusShared: 50 concurrent status requests are answered
// by far fewer board reads, all correct.
func TestConcurrentStatusShared(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Server.Concurrency = 64 })
	f.board.SetFault(sim.FaultNone)
	before := f.board.Queries()
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := f.status(t)
			if err == nil && st.State != "READY" {
				err = errors.New("bad state " + st.State)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	reads := (f.board.Queries() - before) / 3 // two queries and the fence a read
	if reads >= 25 {
		t.Fatalf("50 status requests took %d board reads, want far fewer", reads)
	}
	t.Logf("50 requests, %d board reads", reads)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, "condition", 10*time.Second, cond)
}

// deleteQueue removes a tutorial queue, which is not auto-delete.
func deleteQueue(t *testing.T, name string) {
	conn, err := amqp.Dial(testURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ch.QueueDelete(name, false, false, false)
}
