package gateway

import (
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
		{Name: "jig_gateway_build_info", Labels: map[string]string{"version": "test"}, Value: 1},
	})
}
