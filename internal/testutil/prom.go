package testutil

import (
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Scrape GETs a /metrics URL and parses it with Prometheus' own text
// parser, failing the test if it does not parse.
func Scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s does not parse: %v", url, err)
	}
	return mf
}

// FindMetric is the family's metric whose labels include labels, nil if
// none.
func FindMetric(f *dto.MetricFamily, labels map[string]string) *dto.Metric {
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

// MetricValue is a gauge's or counter's value, a histogram's count.
func MetricValue(m *dto.Metric) float64 {
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

// Want is a metric a test expects: its family, some of its labels, and its
// value (MetricValue).
type Want struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// CheckMetrics reports every wanted metric that is absent or has another
// value.
func CheckMetrics(t testing.TB, mf map[string]*dto.MetricFamily, want []Want) {
	t.Helper()
	for _, w := range want {
		m := FindMetric(mf[w.Name], w.Labels)
		if m == nil {
			t.Errorf("%s%v: absent", w.Name, w.Labels)
			continue
		}
		if got := MetricValue(m); got != w.Value {
			t.Errorf("%s%v = %v, want %v", w.Name, w.Labels, got, w.Value)
		}
	}
}
