package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/jigmq/jigmq/internal/inventory"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// Gateway is one jig-gateway: its fleet table, its broker client and its
// HTTP handlers.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	mq      mqmanager.Broker
	fleet   *Fleet
	broker  *brokerLink // the broker state (broker.go)
	hub     *hub
	metrics *metrics
	status  *statusReader // JigStatus reads, sharing calls (statusbatch.go)
	done    chan struct{} // closed when Run stops: ends the event streams
	// requestTimeout is requestTimeout, which a test shortens.
	requestTimeout time.Duration

	// changeMu orders the fleet table's changes with their streaming
	// (change): a stream never gets a row older than one it already had.
	changeMu sync.Mutex

	mu sync.Mutex
	c  *mqmanager.Client // nil until the first dial succeeds
	// dialErr is why the last dial failed, while c is nil.
	dialErr error
	dialed  chan struct{} // closed when c is set
}

// sweepEvery is how often the table is looked at for fixtures gone stale.
const sweepEvery = 250 * time.Millisecond

// New builds a gateway; cfg must be valid. It reads the inventory.
func New(cfg Config, version string, log *slog.Logger) (*Gateway, error) {
	var inv []string
	if cfg.Fleet.Inventory != "" {
		var err error
		if inv, err = inventory.Load(cfg.Fleet.Inventory); err != nil {
			return nil, fmt.Errorf("fleet.inventory: %w", err)
		}
	}
	mq, err := cfg.Broker.Broker("jig-gateway")
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: log, mq: mq, done: make(chan struct{}), dialed: make(chan struct{}), requestTimeout: requestTimeout,
		fleet: NewFleet(inv, cfg.Fleet.MaxFixtures, cfg.Fleet.RecentEvents), broker: newBrokerLink(time.Now)}
	g.fleet.broker, g.fleet.minSilence = g.broker, mqmanager.DeadWithin(mq.Heartbeat)
	g.metrics = newMetrics(version, g.fleetNow)
	g.hub = newHub(cfg.Fleet.MaxStreams, func(n int) { g.metrics.streams.Set(float64(n)) })
	g.status = newStatusReader(g.askStatus, g.statusCame, g.unlinked)
	return g, nil
}

// fleetNow is every row with the broker state it was viewed against.
func (g *Gateway) fleetNow() ([]Fixture, BrokerState) {
	var rows []Fixture
	a := g.readAsOf(func() { rows = g.fleet.List() })
	return rows, a.Broker
}

// Handler is the gateway's HTTP surface: the API, /metrics, the dashboard.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	g.routes(mux)
	mux.Handle("GET /metrics", g.metrics.handler())
	g.dashboard(mux)
	return mux
}

// Run serves HTTP on ln and follows the events until ctx ends, then stops
// every goroutine it started and returns.
func (g *Gateway) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := g.httpServer(g.Handler())
	var wg sync.WaitGroup
	wg.Go(func() { g.dialLoop(ctx) })
	wg.Go(func() { g.follow(ctx) })
	wg.Go(func() { g.sweep(ctx) })
	served := make(chan error, 1)
	wg.Go(func() { served <- g.serve(srv, ln) })
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		cancel()
	}
	close(g.done)
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	wg.Wait()
	g.status.close()
	g.closeClient()
	return err
}

func (g *Gateway) serve(srv *http.Server, ln net.Listener) error {
	var err error
	if g.cfg.ServesTLS() {
		err = srv.ServeTLS(ln, g.cfg.TLSCert, g.cfg.TLSKey)
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// follow keeps the fleet table from the events, and the broker state from
// the follower's link.
func (g *Gateway) follow(ctx context.Context) {
	err := mqmanager.FollowEvents(ctx, mqmanager.FollowConfig{Broker: g.mq, CheckUser: g.cfg.CheckUser,
		UserFormat: g.cfg.UserFormat, ReconnectMax: g.cfg.Broker.ReconnectMax, Logger: g.log.With("component", "events"),
		OnReady: func() {
			g.log.Info("following events", "binding", jigapi.EventBinding("*"))
			g.brokerChange(g.broker.up)
		},
		OnDown: func(err error) { g.brokerChange(func() bool { return g.broker.down(err) }) }}, g.apply)
	if err != nil {
		g.log.Error("cannot follow events", "err", err)
	}
}

func (g *Gateway) apply(e jigapi.Event) {
	g.metrics.events.WithLabelValues(e.Kind).Inc()
	g.change(func() []Fixture {
		f, ok := g.fleet.Apply(e)
		if !ok {
			g.metrics.refused.Inc()
			g.log.Debug("fleet table full: event refused", "serial", e.Serial, "max_fixtures", g.cfg.Fleet.MaxFixtures)
			return nil
		}
		return []Fixture{f}
	})
}

// change makes a change to the fleet table (do, which returns the rows it
// changed) and streams the rows, both under changeMu: two changes made from
// two goroutines reach the streams in the order they were made in the
// table, so the last view a stream has of a row is the row's latest.
func (g *Gateway) change(do func() []Fixture) {
	g.changeMu.Lock()
	defer g.changeMu.Unlock()
	for _, f := range do() {
		g.hub.publish(f)
	}
}

// sweep tells the streams about fixtures that went stale.
func (g *Gateway) sweep(ctx context.Context) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.change(g.fleet.Sweep)
		}
	}
}
