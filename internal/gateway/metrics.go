package gateway

import (
	"net/http"
	"sync"
	"time"

	"github.com/jigmq/jigmq/internal/prom"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus metrics, on a registry of its own.
// The per-fixture series are read from the fleet table at each scrape, so
// a fixture's old state never lingers as a series of its own.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	events   *prometheus.CounterVec
	refused  prometheus.Counter
	streams  prometheus.Gauge
	// statusCalls counts JigStatus calls made for status reads: fewer
	// than JigStatus requests when concurrent reads share one (statusbatch.go).
	statusCalls prometheus.Counter

	mu     sync.RWMutex
	series map[requestKey]requestSeries // see observe
}

// requestKey and requestSeries cache a (method, outcome) pair's two
// series: the vectors' label lookup (hashing both labels under their
// lock) is paid once per pair, not on every request. The pairs are
// bounded: the contract's methods times the outcomes.
type requestKey struct{ method, outcome string }

type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func newMetrics(version string, fleet *Fleet, broker *brokerLink) *metrics {
	m := &metrics{reg: prom.NewRegistry("jig_gateway", version, nil), series: map[requestKey]requestSeries{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jig_gateway_requests_total",
			Help: "Requests through the gateway, by method and outcome (for a refused request, its code)."}, []string{"method", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "jig_gateway_request_duration_seconds",
			Help:    "Time from a request to its outcome, by method and outcome.",
			Buckets: prom.LatencyBuckets}, []string{"method", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jig_gateway_events_total",
			Help: "Events received from managers, by kind."}, []string{"kind"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "jig_gateway_events_refused_total",
			Help: "Events from new serials refused because the fleet table is full (fleet.max_fixtures)."}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "jig_gateway_event_streams",
			Help: "Server-sent event streams open now."}),
		statusCalls: prometheus.NewCounter(prometheus.CounterOpts{Name: "jig_gateway_status_calls_total",
			Help: "JigStatus calls made to managers for status reads, counted as each comes back: fewer than JigStatus requests when concurrent reads of one fixture share a call."}),
	}
	connected := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jig_gateway_broker_connected",
		Help: "1 while the gateway follows the events on the broker, 0 while it has lost the broker or never reached it: the fixture series are then as of then."},
		func() float64 { return boolGauge(broker.State().State == BrokerConnected) })
	m.reg.MustRegister(m.requests, m.latency, m.events, m.refused, m.streams, m.statusCalls, connected, fleetCollector{fleet})
	return m
}

func (m *metrics) observe(method, outcome string, d time.Duration) {
	s := m.seriesOf(requestKey{method, outcome})
	s.count.Inc()
	s.latency.Observe(d.Seconds())
}

// countRefused counts a request the gateway refused itself, by the method its
// path names (or noMethod) and its code; it is not timed: no fixture was
// asked.
func (m *metrics) countRefused(method, code string) {
	m.requests.WithLabelValues(method, code).Inc()
}

func (m *metrics) seriesOf(k requestKey) requestSeries {
	m.mu.RLock()
	s, ok := m.series[k]
	m.mu.RUnlock()
	if ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok = m.series[k]; !ok {
		s = requestSeries{count: m.requests.WithLabelValues(k.method, k.outcome),
			latency: m.latency.WithLabelValues(k.method, k.outcome)}
		m.series[k] = s
	}
	return s
}

func (m *metrics) handler() http.Handler {
	return prom.Handler(m.reg)
}

var (
	upDesc = prometheus.NewDesc("jig_fixture_up",
		"1 if the fixture's manager is heard (seen, not stale), else 0 (stale or missing).", []string{"serial"}, nil)
	connDesc = prometheus.NewDesc("jig_fixture_connected",
		"1 if the fixture's board port is open, 0 if closed, as its heard manager says; absent when unknown (missing, stale or stopped).",
		[]string{"serial"}, nil)
	stateDesc = prometheus.NewDesc("jig_fixture_state",
		"1 for the fixture's current state (the state label); absent when none is current (the row's current).",
		[]string{"serial", "state"}, nil)
	expectedDesc = prometheus.NewDesc("jig_fixture_expected",
		"1 if the fixture is listed in the inventory.", []string{"serial"}, nil)
	lastSeenDesc = prometheus.NewDesc("jig_fixture_last_seen_timestamp_seconds",
		"When the fixture's last event arrived (Unix time); absent if never.", []string{"serial"}, nil)
)

// fleetCollector reports the fleet table at each scrape.
type fleetCollector struct{ fleet *Fleet }

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, connDesc, stateDesc, expectedDesc, lastSeenDesc} {
		ch <- d
	}
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.fleet.List() {
		heard := f.Seen && !f.Stale
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, boolGauge(heard), f.Serial)
		ch <- prometheus.MustNewConstMetric(expectedDesc, prometheus.GaugeValue, boolGauge(f.Expected), f.Serial)
		if heard {
			ch <- prometheus.MustNewConstMetric(connDesc, prometheus.GaugeValue, boolGauge(f.Summary.Connected), f.Serial)
		}
		if f.Current != nil {
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, 1, f.Serial, f.Current.State)
		}
		if f.Seen {
			ch <- prometheus.MustNewConstMetric(lastSeenDesc, prometheus.GaugeValue,
				float64(f.LastSeen.UnixMilli())/1000, f.Serial)
		}
	}
}

// boolGauge is a boolean as a gauge's value.
func boolGauge(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
