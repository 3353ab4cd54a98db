package manager

import (
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
	if _, known := jigapi.Lookup(method); !known && method != "tutorial" {
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
