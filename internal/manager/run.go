package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// Hooks are told about the daemon's life, e.g. for systemd's notify socket.
type Hooks struct {
	OnReady func()          // the consumer is live (after every connect)
	OnDown  func(err error) // the broker link was lost
	OnRetry func(err error) // about to wait to connect again, and why
}

// Daemon is one fixture's manager: its serial device and its request
// server.
type Daemon struct {
	dev *jig.Device
	srv *mqmanager.Server
	h   *handlers
	ev  *events // nil with events.off
	// metrics serves /metrics (nil without metrics.listen): metrics.go.
	metrics *metricsServer
	ready   chan struct{}
}

// Run serves cfg's fixture until ctx ends; cfg must be valid. It returns an
// error when the fixture is already served by another manager or the broker
// refuses us, and nil after a graceful stop.
func Run(ctx context.Context, cfg Config, version string, log *slog.Logger, hooks Hooks) error {
	d, err := New(cfg, version, log, hooks)
	if err != nil {
		return err
	}
	return d.Run(ctx)
}

// New opens the fixture's port (an absent port is retried in the
// background) and builds the request server. cfg must be valid
// (Config.Validate): it is not validated again. Call Run once: it owns the
// port from then on.
//
// The port is opened before the queue is claimed, on purpose: the port is
// the board's, not the bus's (Ping, events and the watchdog report it with
// the broker down), and the queue is claimed again on every reconnect, so
// claiming it first could not gate the port for good. What keeps a manager
// off a port it may not use is the port's lock (jig, docs/protocol.md "One
// manager per port"), taken before any setting is applied.
func New(cfg Config, version string, log *slog.Logger, hooks Hooks) (*Daemon, error) {
	host, _ := os.Hostname()
	scfg, err := cfg.Broker.ServerConfig(cfg.Serial, "jig-manager "+cfg.Serial+"@"+host, cfg.Server)
	if err != nil {
		return nil, fmt.Errorf("broker.%w", err)
	}
	leasing, err := newLeasing(cfg, log) // before the port: a manager that cannot start leaves it alone
	if err != nil {
		return nil, err
	}
	dev := jig.OpenValidated(cfg.Fixture, log.With("component", "fixture"))
	h := newHandlers(cfg.Serial, version, cfg.Fib.MaxN, dev)
	h.leasing = leasing
	d := &Daemon{dev: dev, h: h, ready: make(chan struct{}, 1)}
	hooks.OnReady = d.onReady(hooks.OnReady)
	if err := d.withMetrics(cfg, version, &scfg, log); err != nil {
		dev.Close()
		return nil, err
	}
	scfg.TutorialQueue, scfg.Tutorial, scfg.ControllerUsers = cfg.Compat.TutorialQueue, h.tutorial, cfg.Security.ControllerUsers
	scfg.Logger, scfg.OnReady, scfg.OnDown, scfg.OnRetry = log.With("component", "server"), hooks.OnReady, hooks.OnDown, hooks.OnRetry
	scfg.OnStop = func() {
		if d.ev != nil {
			d.ev.stop() // a Stopped event, while the link is up
		}
	}
	srv, err := mqmanager.NewServer(scfg)
	if err != nil {
		dev.Close()
		d.metrics.close()
		return nil, err
	}
	h.register(srv)
	if len(cfg.Security.ControllerUsers) == 0 {
		log.Warn("security.controller_users is empty: requests from any broker user are served " +
			"(for development only)")
	}
	d.srv = srv
	if !cfg.Events.Off {
		d.ev = newEvents(cfg.Events, cfg.Serial, version, dev, log.With("component", "events"))
		d.ev.pub, h.observe = srv, d.ev.observe
		d.ev.Holder = h.holder
	}
	h.observe = d.chainRead(h.observe)
	return d, nil
}

// Run serves until ctx ends (see the package-level Run), then stops the
// events and closes the fixture's port.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.dev.Close()
	// The events outlive ctx until the server has stopped: its OnStop has
	// them publish Stopped while it finishes the requests in flight.
	ectx, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if d.ev != nil {
		wg.Go(func() { d.ev.run(ectx, d.ready) })
		wg.Go(func() { d.ev.readLoop(ectx, d.readStatus) })
	}
	if d.metrics != nil {
		// Served until the server has stopped, so a scrape sees the drain.
		wg.Go(func() { d.metrics.serve(ectx) })
	}
	// The server's session owns the event channel: once Run returns, a
	// publish blocked on a frozen link has returned too.
	err := d.srv.Run(ctx)
	stop()
	wg.Wait()
	return err
}

// onReady chains the events' heartbeat on (re)connecting before next.
func (d *Daemon) onReady(next func()) func() {
	return func() {
		select {
		case d.ready <- struct{}{}:
		default:
		}
		if next != nil {
			next()
		}
	}
}

// readStatus is the events' own status read (events.read_every).
func (d *Daemon) readStatus(ctx context.Context) {
	_, _ = d.h.jigStatus(ctx, jigapi.NoArgs{})
}

// Liveness reports an error when one of the daemon's own loops is stuck:
// the broker supervisor (mqmanager.Server.Liveness) or the serial worker
// (jig.Device.Liveness). A broker or board that cannot be reached is not an
// error: the loops retrying them are alive. It is what jig-manager's
// systemd watchdog keep-alives are conditioned on.
func (d *Daemon) Liveness(now time.Time) error {
	return errors.Join(d.srv.Liveness(now), d.dev.Liveness(now))
}

// NewLogger builds the stderr logger the configuration asks for.
func NewLogger(l Log, w io.Writer) *slog.Logger {
	lv, _ := l.level()
	opts := &slog.HandlerOptions{Level: lv}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
