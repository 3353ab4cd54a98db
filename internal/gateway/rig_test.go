package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

func testURL() string { return testutil.AMQPURL(mqmanager.DefaultURL) }

// fixture is a jigsim board on a pseudo-terminal with its jig-manager.
type fixture struct {
	serial, link string
	board        *sim.Board
	cancel       context.CancelFunc
	done         chan error
}

// startFixture runs a board and a manager with fast events (heartbeat
// 200 ms: stale after 600 ms; a read every 300 ms), stopped at the end of
// the test; mods change the manager's configuration.
func startFixture(t *testing.T, mods ...func(*manager.Config)) *fixture {
	t.Helper()
	return startFixtureOn(t, sim.Config{}, mods...)
}

// startFixtureOn is startFixture with a board configured by board.
func startFixtureOn(t *testing.T, board sim.Config, mods ...func(*manager.Config)) *fixture {
	t.Helper()
	f := &fixture{serial: "GW-" + uuid.NewString()[:8], link: filepath.Join(t.TempDir(), "tty"), done: make(chan error, 1)}
	var err error
	if f.board, err = sim.Start(f.link, board, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.board.Close() })
	cfg := manager.DefaultConfig()
	cfg.Serial, cfg.Broker.URLs, cfg.Fixture.Port = f.serial, []string{testURL()}, f.link
	cfg.Fixture.QueryTimeout = 300 * time.Millisecond
	cfg.Events = manager.Events{Heartbeat: 200 * time.Millisecond, Poll: 20 * time.Millisecond, ReadEvery: 300 * time.Millisecond}
	for _, mod := range mods {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		f.done <- manager.Run(ctx, cfg, "test", testutil.Logger(t), manager.Hooks{OnReady: func() { ready <- struct{}{} }})
	}()
	t.Cleanup(f.stop)
	select {
	case <-ready:
	case err := <-f.done:
		t.Fatalf("manager ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("manager not ready within 10s")
	}
	return f
}

// stop stops the manager and waits for it; idempotent.
func (f *fixture) stop() {
	f.cancel()
	if f.done != nil {
		<-f.done
		f.done = nil
	}
}

// gw is a running gateway on a loopback port.
type gw struct {
	*Gateway
	base string
}

// startGateway runs a gateway on the test broker until the test ends.
func startGateway(t *testing.T, mod func(*Config)) *gw {
	t.Helper()
	return startGatewayWith(t, mod, nil)
}

// startGatewayWith is startGateway, with prep (if not nil) run on the
// gateway before it runs.
func startGatewayWith(t *testing.T, mod func(*Config), prep func(*Gateway)) *gw {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Broker.URLs = []string{testURL()}
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g, err := New(cfg, "test", testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	if prep != nil {
		prep(g)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Run(ctx, ln); err != nil {
			t.Errorf("gateway Run: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	if len(cfg.Broker.URLs) == 1 && cfg.Broker.URLs[0] == testURL() {
		select { // requests before this are answered broker_unreachable, truly
		case <-g.dialed:
		case <-time.After(10 * time.Second):
			t.Fatal("the gateway did not reach the broker within 10s")
		}
	}
	return &gw{Gateway: g, base: "http://" + ln.Addr().String()}
}

// get fetches path and decodes its JSON into v; it returns the status.
func (g *gw) get(t *testing.T, method, path, body string, v any) int {
	t.Helper()
	req, err := http.NewRequest(method, g.base+path, stringsReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

// awaitFixture waits up to 5 s, on the fleet table, for serial's row to
// satisfy ok.
func (g *gw) awaitFixture(t *testing.T, serial string, ok func(Fixture) bool) Fixture {
	t.Helper()
	c, _ := g.hub.subscribe()
	defer func() { g.hub.unsubscribe(c) }()
	deadline := time.After(5 * time.Second)
	for {
		if f, found := g.fleet.Get(serial); found && ok(f) {
			return f
		}
		select {
		case _, open := <-c:
			if !open { // dropped as too slow: subscribe again
				c, _ = g.hub.subscribe()
			}
		case <-deadline:
			f, _ := g.fleet.Get(serial)
			t.Fatalf("%s: not as expected within 5s: %+v", serial, f)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// directClient is a Client of the test broker, not the gateway's: a caller
// of its own on the bus.
func directClient(t *testing.T) *mqmanager.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{testURL()}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
