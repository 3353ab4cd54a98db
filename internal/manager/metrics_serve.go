package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/mqmanager"
)

// metricsShutdown bounds how long a scrape in progress may hold up the
// daemon's stop.
const metricsShutdown = 2 * time.Second

// metricsServer serves /metrics on metrics.listen while the daemon runs.
type metricsServer struct {
	*metrics
	ln  net.Listener
	log *slog.Logger
}

// withMetrics, with metrics.listen set, binds its address (so that a port
// already taken fails the start) and has the server and the status reads
// observed. It must run before the server is built from scfg.
func (d *Daemon) withMetrics(cfg Config, version string, scfg *mqmanager.ServerConfig, log *slog.Logger) error {
	if cfg.Metrics.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Listen)
	if err != nil {
		return fmt.Errorf("metrics.listen: %w", err)
	}
	m := newMetrics(cfg.Serial, version, d.dev, func() *mqmanager.Server { return d.srv })
	scfg.Observe = m.observe
	d.metrics = &metricsServer{metrics: m, ln: ln, log: log.With("component", "metrics")}
	return nil
}

// chainRead has observe also tell the metrics about every status read.
func (d *Daemon) chainRead(observe func(jig.Status, error)) func(jig.Status, error) {
	if d.metrics == nil {
		return observe
	}
	return func(st jig.Status, err error) {
		observe(st, err)
		d.metrics.observeRead(st, err)
	}
}

// MetricsAddr is the address /metrics is served on, "" without
// metrics.listen.
func (d *Daemon) MetricsAddr() string {
	if d.metrics == nil {
		return ""
	}
	return d.metrics.ln.Addr().String()
}

// serve serves /metrics until ctx ends, then lets scrapes in progress
// finish for up to metricsShutdown.
func (s *metricsServer) serve(ctx context.Context) {
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(s.ln) }()
	s.log.Info("serving metrics", "url", "http://"+s.ln.Addr().String()+"/metrics")
	select {
	case <-ctx.Done():
	case err := <-done:
		s.log.Error("metrics server stopped", "err", err)
		return
	}
	sctx, cancel := context.WithTimeout(context.Background(), metricsShutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Warn("metrics server", "err", err)
	}
}

// close releases the listener of a daemon that will not run.
func (s *metricsServer) close() {
	if s != nil {
		s.ln.Close()
	}
}
