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

// fleetSnapshot is the fleet's rows with the broker state they were
// viewed against (Gateway.fleetNow).
type fleetSnapshot func() ([]Fixture, BrokerState)

func newMetrics(version string, fleet fleetSnapshot) *metrics {
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
	m.reg.MustRegister(m.requests, m.latency, m.events, m.refused, m.streams, m.statusCalls, fleetCollector{fleet})
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
	brokerDesc = prometheus.NewDesc("jig_gateway_broker_connected",
		"1 while the gateway follows the events on the broker, 0 while it has lost the broker or never reached it: no jig_fixture_up, _connected or _state is exported then (unknown), the other fixture series are as of the loss.",
		nil, nil)
	upDesc = prometheus.NewDesc("jig_fixture_up",
		"1 if the fixture's manager is heard (seen since the broker link last came up, not stale), 0 if stale or missing; absent when unknown: the broker lost or never reached, or not heard since its return.",
		[]string{"serial"}, nil)
	connDesc = prometheus.NewDesc("jig_fixture_connected",
		"1 if the fixture's board port is open, 0 if closed, as its heard manager says; absent unless jig_fixture_up is 1.",
		[]string{"serial"}, nil)
	stateDesc = prometheus.NewDesc("jig_fixture_state",
		"1 for the fixture's current state (the state label); absent when none is current (the row's current).",
		[]string{"serial", "state"}, nil)
	expectedDesc = prometheus.NewDesc("jig_fixture_expected",
		"1 if the fixture is listed in the inventory.", []string{"serial"}, nil)
	lastSeenDesc = prometheus.NewDesc("jig_fixture_last_seen_timestamp_seconds",
		"When the fixture's last event arrived (Unix time); absent if never.", []string{"serial"}, nil)
)

// fleetCollector reports the fleet table and the broker state at each
// scrape, both of one moment: a scrape never has the broker lost and a
// fixture up.
type fleetCollector struct{ fleet fleetSnapshot }

func (c fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{brokerDesc, upDesc, connDesc, stateDesc, expectedDesc, lastSeenDesc} {
		ch <- d
	}
}

func (c fleetCollector) Collect(ch chan<- prometheus.Metric) {
	rows, broker := c.fleet()
	linked := broker.State == BrokerConnected
	ch <- prometheus.MustNewConstMetric(brokerDesc, prometheus.GaugeValue, boolGauge(linked))
	for _, f := range rows {
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{f.Serial}, labels...)...)
		}
		gauge(expectedDesc, boolGauge(f.Expected))
		up, known := upOf(f, linked)
		if known {
			gauge(upDesc, up)
		}
		if up == 1 {
			gauge(connDesc, boolGauge(f.Summary.Connected))
		}
		if f.Current != nil {
			gauge(stateDesc, 1, f.Current.State)
		}
		if f.Seen {
			gauge(lastSeenDesc, float64(f.LastSeen.UnixMilli())/1000)
		}
	}
}

// upOf is a row's jig_fixture_up, and whether the gateway knows it: not
// while it has no broker (linked false: it hears nothing, so the fixture
// is neither up nor down to it), nor, once back, for a fixture not heard
// since and not yet stale again. Missing or stale with the broker there
// is 0, heard since the link came up and not stale is 1.
func upOf(f Fixture, linked bool) (float64, bool) {
	switch {
	case !linked:
		return 0, false
	case f.Missing || f.Stale:
		return 0, true
	case f.heard:
		return 1, true
	}
	return 0, false
}

// boolGauge is a boolean as a gauge's value.
func boolGauge(v bool) float64 {
	if v {
		return 1
	}
	return 0
}
