package manager

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

// TestMetrics: a manager with metrics.listen, asked a few things, its
// board unplugged and its broker connection closed by the broker; /metrics
// parsed with Prometheus' own text parser says exactly that, and it is
// gone once the manager stopped. On the TLS tests' private node, whose
// connections may be closed without touching other tests.
func TestMetrics(t *testing.T) {
	_, n := tlsBroker.Get(t)
	f := startFixture(t, func(c *Config) {
		c.Broker.URLs, c.Metrics.Listen, c.Events.Off = []string{n.GuestURL()}, "127.0.0.1:0", true
	})
	url := "http://" + f.daemon.MetricsAddr() + "/metrics"
	for range 3 {
		if _, err := f.status(t); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.ask(t, "Fib", map[string]int{"n": -1}, 5*time.Second)
	wantCode(t, err, jigapi.CodeBadRequest)
	_, err = f.ask(t, "NoSuchMethod", nil, 5*time.Second)
	wantCode(t, err, jigapi.CodeUnknownMethod)
	closeManagerConn(t, n, f.serial)
	select {
	case <-f.ready:
	case <-time.After(15 * time.Second): // its backoff cap (5s) and a loaded machine's slack
		t.Fatal("manager not back within 15s of its connection closed")
	}
	f.board.Close()
	_, err = f.status(t)
	wantCode(t, err, jigapi.CodeSerialUnavailable)

	mf := testutil.Scrape(t, url)
	testutil.CheckMetrics(t, mf, []testutil.Want{
		{Name: "jig_manager_requests_total", Labels: map[string]string{"method": "JigStatus", "outcome": "ok"}, Value: 3},
		{Name: "jig_manager_requests_total", Labels: map[string]string{"method": "JigStatus", "outcome": jigapi.CodeSerialUnavailable}, Value: 1},
		{Name: "jig_manager_requests_total", Labels: map[string]string{"method": "Fib", "outcome": "bad_request"}, Value: 1},
		{Name: "jig_manager_requests_total", Labels: map[string]string{"method": "other", "outcome": "unknown_method"}, Value: 1},
		{Name: "jig_manager_request_duration_seconds", Labels: map[string]string{"method": "JigStatus"}, Value: 4},
		{Name: "jig_manager_serial_read_duration_seconds", Value: 3},
		{Name: "jig_manager_serial_reads_total", Value: 4},
		{Name: "jig_manager_serial_read_errors_total", Value: 1},
		{Name: "jig_manager_broker_reconnects_total", Value: 1},
		{Name: "jig_manager_build_info", Labels: map[string]string{"version": "test", "serial": f.serial}, Value: 1},
	})
	if h := mf["jig_manager_serial_read_duration_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleSum() <= 0 || h.GetSampleSum() > 3 {
		t.Errorf("serial reads took %vs in all, want between 0 and 3 (3 reads, each under 1s)", h.GetSampleSum())
	}
	if _, ok := mf["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	f.stop()
	if resp, err := http.Get(url); err == nil {
		resp.Body.Close()
		t.Fatalf("GET %s after the manager stopped: %s, want no listener", url, resp.Status)
	}
}

// closeManagerConn has the broker close the manager's connection, as an
// operator would.
func closeManagerConn(t *testing.T, n *testbroker.Node, serial string) {
	t.Helper()
	conns, err := n.Connections()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if strings.HasPrefix(c.Name, "jig-manager "+serial+"@") {
			if err := n.CloseConnection(c.Pid, "metrics test"); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no connection of the manager of %s among %+v", serial, conns)
}

// TestMetricsListen: metrics.listen must be host:port, and a port already
// taken fails the manager's start, naming the key.
func TestMetricsListen(t *testing.T) {
	for listen, want := range map[string]string{"": "", "127.0.0.1:9464": "", ":9464": "", "[::1]:0": "",
		"9464": "is not host:port", "127.0.0.1:http": "is not a number", "127.0.0.1:70000": "is not a number"} {
		err := Metrics{Listen: listen}.Validate()
		if (want == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), "listen: ") ||
			err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("metrics.listen %q: %v, want %q", listen, err, want)
		}
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := DefaultConfig()
	cfg.Serial, cfg.Fixture.Port, cfg.Metrics.Listen = "M-TAKEN", t.TempDir()+"/tty", taken.Addr().String()
	d, err := New(cfg, "test", testutil.Logger(t), Hooks{})
	if err == nil || !strings.Contains(err.Error(), "metrics.listen: ") {
		t.Fatalf("New with metrics.listen taken: %v, %v; want a metrics.listen error", d, err)
	}
}
