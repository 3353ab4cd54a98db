package gateway

import (
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/testutil"
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
	testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"), []testutil.Want{
		{Name: "jig_fixture_up", Labels: map[string]string{"serial": f.serial}, Value: 1},
		{Name: "jig_fixture_connected", Labels: map[string]string{"serial": f.serial}, Value: 1},
		{Name: "jig_fixture_state", Labels: map[string]string{"serial": f.serial, "state": "READY"}, Value: 1},
		{Name: "jig_gateway_requests_total", Labels: map[string]string{"method": "JigStatus", "outcome": "ok"}, Value: 3},
		{Name: "jig_gateway_requests_total", Labels: map[string]string{"method": "Ping", "outcome": "no_fixture"}, Value: 1},
		{Name: "jig_gateway_request_duration_seconds", Labels: map[string]string{"method": "JigStatus", "outcome": "ok"}, Value: 3},
		{Name: "jig_gateway_status_calls_total", Value: 3}, // one after another: none shared
		{Name: "jig_gateway_build_info", Labels: map[string]string{"version": "test"}, Value: 1},
	})
}

// TestMetricsRefusedAndStopped: requests the gateway refuses itself are
// counted by the method their path names (else "none", never the path's
// word) and their code; a stopped manager's board is not exported as
// connected, nor its state as current.
func TestMetricsRefusedAndStopped(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, func(c *Config) { c.API.Token = "s3cret" })
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	p := "/api/v1/fixtures/" + f.serial
	for _, r := range []struct{ method, path, body string }{
		{"GET", p + "/ping?timeout=1h", ""}, {"GET", "/api/v1/fixtures/bad.serial/ping", ""},
		{"GET", p + "/x-evil-123", ""}, {"DELETE", p + "/status", ""}, {"GET", p + "/fib", ""},
		{"POST", p + "/lock", `{"owner": "o", "ttl_s": 30}`}, {"POST", p + "/fib", strings.Repeat(" ", maxArgs+1)},
	} {
		g.get(t, r.method, r.path, r.body, nil)
	}
	mf := testutil.Scrape(t, g.base+"/metrics")
	req := func(method, outcome string) testutil.Want {
		return testutil.Want{Name: "jig_gateway_requests_total", Labels: map[string]string{"method": method, "outcome": outcome}, Value: 1}
	}
	testutil.CheckMetrics(t, mf, []testutil.Want{req("Ping", RefusedBadTimeout), req("Ping", RefusedBadSerial),
		req(noMethod, RefusedUnknownMethod), req("JigStatus", RefusedMethodNotAllowed), req("Fib", RefusedBadArguments),
		req("Lock", RefusedUnauthorized), req("Fib", RefusedTooLarge)})
	for _, m := range mf["jig_gateway_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "evil") {
				t.Errorf("a label carries the request's word: %v", m.GetLabel())
			}
		}
	}
	f.stop()
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Stopped })
	mf = testutil.Scrape(t, g.base+"/metrics")
	testutil.CheckMetrics(t, mf, []testutil.Want{{Name: "jig_fixture_up", Labels: map[string]string{"serial": f.serial}, Value: 0}})
	for _, name := range []string{"jig_fixture_connected", "jig_fixture_state"} {
		if m := testutil.FindMetric(mf[name], map[string]string{"serial": f.serial}); m != nil {
			t.Errorf("%s exported for a stopped manager: %v = %v", name, m.GetLabel(), testutil.MetricValue(m))
		}
	}
}
