package manager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jigmq/jigmq/internal/prom"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the manager's Prometheus metrics (metrics.listen), on a
// registry of its own. The counters the board and the server already keep
// (jig.Stats, jigapi.ServerStats) are read at each scrape.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	reads    prometheus.Histogram
	lastRead atomic.Int64 // unix ns of the last read observed, so a shared read counts once
}

func newMetrics(serial, version string, dev *jig.Device, srv func() *mqmanager.Server) *metrics {
	m := &metrics{reg: prom.NewRegistry("jig_manager", version, prometheus.Labels{"serial": serial}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jig_manager_requests_total",
			Help: "Requests run, by method and outcome (ok, or the error reply's code)."}, []string{"method", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "jig_manager_request_duration_seconds",
			Help: "Time from a request's arrival to its answer, by method.", Buckets: prom.LatencyBuckets}, []string{"method"}),
		reads: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "jig_manager_serial_read_duration_seconds",
			Help:    "Successful status reads' conversations with the board, from the first query written to the last answer.",
			Buckets: prom.LatencyBuckets}),
	}
	counter := func(name, help string, v func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	m.reg.MustRegister(m.requests, m.latency, m.reads,
		counter("jig_manager_serial_reads_total", "Status reads of the board attempted (a read shared by callers counts once).",
			func() uint64 { return dev.Stats().Reads }),
		counter("jig_manager_serial_read_errors_total", "Status reads of the board that failed.",
			func() uint64 { return dev.Stats().Errors }),
		counter("jig_manager_broker_reconnects_total", "Connections to the broker after the first.",
			func() uint64 { return srv().Stats().Reconnects }))
	return m
}

// observe is the server's ObserveFunc. Methods outside the contract are
// "other", so that a caller cannot grow the series without bound.
func (m *metrics) observe(method, outcome string, d time.Duration) {
	if _, known := jigapi.Lookup(method); !known && method != mqmanager.TutorialMethod {
		method = "other"
	}
	m.requests.WithLabelValues(method, outcome).Inc()
	m.latency.WithLabelValues(method).Observe(d.Seconds())
}

// observeRead times a successful status read, once however many callers
// shared it (they are all told the same read, with its ReadAt).
func (m *metrics) observeRead(st jig.Status, err error) {
	if err != nil || st.ReadAt.IsZero() {
		return
	}
	at := st.ReadAt.UnixNano()
	for {
		last := m.lastRead.Load()
		if at <= last {
			return
		}
		if m.lastRead.CompareAndSwap(last, at) {
			break
		}
	}
	m.reads.Observe(st.ReadMS / 1000)
}

func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", prom.Handler(m.reg))
	return mux
}

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
