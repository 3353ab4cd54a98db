package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
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

func dialRaw(url string, mode mqmanager.ReplyMode, props contractProps) (rawCaller, error) {
	if mode == mqmanager.ReplyPerRequest {
		return dialPerRequest(url, props)
	}
	return dialMux(url, mode == mqmanager.ReplyDirect, props)
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
			_, err := c.Status(ctx, serial)
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
