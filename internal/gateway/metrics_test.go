package gateway

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestMetrics: /metrics parsed with Prometheus' own text parser: the
// fixture is up and connected with its state, the requests made are
// counted and timed by method and outcome, and the build is reported.
func TestMetrics(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen && x.Summary.State == "READY" })
	for range 3 {
		g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status", "", nil)
	}
	g.get(t, "GET", "/api/v1/fixtures/NONE-METRICS/ping", "", nil)
	mf := scrape(t, g)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"jig_fixture_up", map[string]string{"serial": f.serial}, 1},
		{"jig_fixture_connected", map[string]string{"serial": f.serial}, 1},
		{"jig_fixture_state", map[string]string{"serial": f.serial, "state": "READY"}, 1},
		{"jig_gateway_requests_total", map[string]string{"method": "JigStatus", "outcome": "ok"}, 3},
		{"jig_gateway_requests_total", map[string]string{"method": "Ping", "outcome": "no_fixture"}, 1},
		{"jig_gateway_request_duration_seconds", map[string]string{"method": "JigStatus", "outcome": "ok"}, 3},
		{"jig_gateway_build_info", map[string]string{"version": "test"}, 1},
	}
	for _, w := range want {
		m := find(mf[w.name], w.labels)
		if m == nil {
			t.Errorf("%s%v: absent", w.name, w.labels)
			continue
		}
		if got := value(m); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
}

func scrape(t *testing.T, g *gw) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(g.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return mf
}

// find is the family's metric whose labels include labels.
func find(f *dto.MetricFamily, labels map[string]string) *dto.Metric {
	if f == nil {
		return nil
	}
	for _, m := range f.Metric {
		n := 0
		for _, l := range m.Label {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				n++
			}
		}
		if n == len(labels) {
			return m
		}
	}
	return nil
}

// value is a gauge's or counter's value, a histogram's count.
func value(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}
