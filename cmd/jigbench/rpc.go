package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

// requestTimeout is every benchmark request's deadline.
const requestTimeout = 10 * time.Second

// inprocManager is a real manager (manager.Run) in this process, on a
// simulated board on a pseudo-terminal.
type inprocManager struct {
	serial string
	board  *sim.Board
	cancel context.CancelFunc
	done   chan error
}

// manager starts the in-process manager on first use.
func (b *bench) manager(ctx context.Context) (*inprocManager, error) {
	if b.inproc != nil {
		return b.inproc, nil
	}
	m := &inprocManager{serial: b.serial("M"), done: make(chan error, 1)}
	link := filepath.Join(b.tmp, m.serial)
	var err error
	if m.board, err = sim.Start(link, sim.Config{}, nil); err != nil {
		return nil, err
	}
	cfg := manager.DefaultConfig()
	cfg.Serial, cfg.Fixture.Port, cfg.Broker.URLs = m.serial, link, []string{b.url}
	if err := cfg.Validate(); err != nil {
		m.board.Close()
		return nil, err
	}
	ready := make(chan struct{}, 1)
	mctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	hooks := manager.Hooks{OnReady: func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	}}
	go func() { m.done <- manager.Run(mctx, cfg, "jigbench", slog.New(slog.DiscardHandler), hooks) }()
	select {
	case <-ready:
		b.inproc = m
		return m, nil
	case err := <-m.done:
		m.board.Close()
		return nil, fmt.Errorf("manager: %v", err)
	case <-time.After(10 * time.Second):
		m.stop()
		return nil, errors.New("manager not serving after 10s")
	}
}

func (m *inprocManager) stop() {
	m.cancel()
	<-m.done
	m.board.Close()
}

func (b *bench) dial(ctx context.Context, mode mqmanager.ReplyMode) (*mqmanager.Client, error) {
	return mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{b.url}},
		ReplyMode: mode, AppID: "jigbench"})
}

func dialRaw(url string, mode mqmanager.ReplyMode) (rawCaller, error) {
	if mode == mqmanager.ReplyPerRequest {
		return dialPerRequest(url)
	}
	return dialMux(url, mode == mqmanager.ReplyDirect)
}

// rpcSection compares the project's Client and manager (Ping) with the bare
// baseline in one reply mode, sequential and 64 in flight.
func rpcSection(mode mqmanager.ReplyMode) func(context.Context, *bench) error {
	return func(ctx context.Context, b *bench) error {
		m, err := b.manager(ctx)
		if err != nil {
			return err
		}
		echoSerial := b.serial("E")
		echo, err := startEcho(b.url, echoSerial)
		if err != nil {
			return err
		}
		defer echo.close()
		raw, err := dialRaw(b.url, mode)
		if err != nil {
			return err
		}
		defer raw.close()
		c, err := b.dial(ctx, mode)
		if err != nil {
			return err
		}
		defer c.Close()
		key := mqmanager.RoutingKey(echoSerial, "Ping")
		base := withTimeout(requestTimeout, func(ctx context.Context) error { return raw.call(ctx, key, []byte("{}")) })
		proj := withTimeout(requestTimeout, func(ctx context.Context) error {
			_, err := c.Request(ctx, m.serial, "Ping", nil)
			return err
		})
		return b.compareLoads(ctx, "rpc/"+mode.String(), base, proj)
	}
}

// compareLoads measures base and proj sequentially and 64 in flight, in
// alternating rounds (ABAB) so that drift affects both alike.
func (b *bench) compareLoads(ctx context.Context, sec string, base, proj func(context.Context) error) error {
	loads := []struct {
		name        string
		inflight, n int
	}{{"seq", 1, b.iters(1000, 40)}, {"64inflight", 64, b.iters(6000, 256)}}
	for _, ld := range loads {
		var bs, ps []result
		for round := range 3 {
			n := ld.n / 2
			if round == 0 {
				n = max(ld.n/10, 10) // warm-up, discarded
			}
			br, err := drive(ctx, n, ld.inflight, base)
			if err != nil {
				return fmt.Errorf("baseline %s: %w", ld.name, err)
			}
			pr, err := drive(ctx, n, ld.inflight, proj)
			if err != nil {
				return fmt.Errorf("client %s: %w", ld.name, err)
			}
			if round > 0 {
				bs, ps = append(bs, br), append(ps, pr)
			}
		}
		b.recordPair(sec, ld.name, merge(bs...), merge(ps...))
	}
	return nil
}

func (b *bench) recordPair(sec, load string, br, pr result) {
	rp := &b.rep
	thr := none
	if load != "seq" {
		thr = ratioAtLeast(0.85)
	}
	rp.add(row{section: sec, name: "baseline " + load + " p50", value: ms(br.p50()), unit: "ms", tgt: none})
	rp.add(row{section: sec, name: "baseline " + load + " p99", value: ms(br.p99()), unit: "ms", tgt: none})
	rp.add(row{section: sec, name: "baseline " + load + " thrpt", value: br.rps(), unit: "req/s", tgt: none})
	rp.add(row{section: sec, name: "client " + load + " p50", value: ms(pr.p50()), unit: "ms", base: ms(br.p50()), tgt: ratioAtMost(1.3)})
	rp.add(row{section: sec, name: "client " + load + " p99", value: ms(pr.p99()), unit: "ms", base: ms(br.p99()), tgt: none})
	rp.add(row{section: sec, name: "client " + load + " thrpt", value: pr.rps(), unit: "req/s", base: br.rps(), tgt: thr})
	rp.addLoad(benchName(sec)+"/baseline/"+load, br)
	rp.addLoad(benchName(sec)+"/client/"+load, pr)
}

// benchName turns a section or mode name into a benchmark name part:
// "rpc/per-request" is "RPC/PerRequest".
func benchName(sec string) string {
	var out []byte
	up := true
	for _, c := range []byte(strings.Replace(sec, "rpc", "RPC", 1)) {
		switch {
		case c == '-':
			up = true
		case up && c >= 'a' && c <= 'z':
			out, up = append(out, c-'a'+'A'), false
		default:
			out, up = append(out, c), c == '/'
		}
	}
	return string(out)
}

// noFixtureSection measures how fast a request to a serial nobody serves
// fails with ErrNoFixture (the broker returns the mandatory publish).
func noFixtureSection(ctx context.Context, b *bench) error {
	for _, mode := range []mqmanager.ReplyMode{mqmanager.ReplyPerRequest, mqmanager.ReplyShared, mqmanager.ReplyDirect} {
		c, err := b.dial(ctx, mode)
		if err != nil {
			return err
		}
		serial := b.serial("NONE")
		call := withTimeout(requestTimeout, func(ctx context.Context) error {
			_, err := c.Request(ctx, serial, "JigStatus", nil)
			if errors.Is(err, mqmanager.ErrNoFixture) {
				return nil
			}
			return fmt.Errorf("want no fixture, got %v", err)
		})
		drive(ctx, 20, 1, call) // warm-up
		r, err := drive(ctx, b.iters(500, 20), 1, call)
		c.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", mode, err)
		}
		sec := "nofixture"
		b.rep.add(row{section: sec, name: mode.String() + " p50", value: ms(r.p50()), unit: "ms", tgt: none})
		b.rep.add(row{section: sec, name: mode.String() + " p99", value: ms(r.p99()), unit: "ms", tgt: below(5, "ms")})
		b.rep.addLoad("NoFixture/"+benchName(mode.String()), r)
	}
	return nil
}
