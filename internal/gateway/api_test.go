package gateway

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
)

func stringsReader(s string) io.Reader {
	if s == "" {
		return nil
	}
	return strings.NewReader(s)
}

// TestAPIOutcomes: every outcome of a request through the gateway, over
// the real broker, with its HTTP status.
func TestAPIOutcomes(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, nil)
	silent := rawQueue(t, "SILENT-"+uuid.NewString()[:8], nil)
	legacy := rawQueue(t, "LEGACY-"+uuid.NewString()[:8], []byte("plain old reply"))
	dead := startGateway(t, func(c *Config) { c.Broker.URLs = []string{"amqp://guest:guest@127.0.0.1:1/"} })
	cases := []struct {
		name, method, path, body string
		g                        *gw
		status                   int
		outcome, code            string
	}{
		{"status", "GET", "/status", "", g, 200, OutcomeOK, ""},
		{"status, POST", "POST", "/status", "", g, 200, OutcomeOK, ""},
		{"status with arguments", "POST", "/status", `{"x": 1}`, g, 400, OutcomeErrorReply, "bad_request"},
		{"status, no fixture", "GET", "/status", "", g, 404, OutcomeNoFixture, OutcomeNoFixture},
		{"status, timeout", "GET", "/status?timeout=300ms", "", g, 504, OutcomeTimeout, OutcomeTimeout},
		{"status, broker unreachable", "GET", "/status", "", dead, 503, OutcomeUnreachable, OutcomeUnreachable},
		{"ping", "GET", "/ping", "", g, 200, OutcomeOK, ""},
		{"stats", "GET", "/stats", "", g, 200, OutcomeOK, ""},
		{"fib", "POST", "/fib", `{"n": 10}`, g, 200, OutcomeOK, ""},
		{"error reply", "POST", "/fib", `{"n": -1}`, g, 400, OutcomeErrorReply, "bad_request"},
		{"no fixture", "GET", "/ping", "", g, 404, OutcomeNoFixture, OutcomeNoFixture},
		{"timeout", "GET", "/ping?timeout=300ms", "", g, 504, OutcomeTimeout, OutcomeTimeout},
		{"raw reply", "GET", "/ping", "", g, 200, OutcomeRaw, ""},
		{"broker unreachable", "GET", "/ping", "", dead, 503, OutcomeUnreachable, OutcomeUnreachable},
		{"bad timeout", "GET", "/ping?timeout=1h", "", g, 400, "refused", "bad_timeout"},
		{"args by GET", "GET", "/fib", "", g, 400, "refused", "bad_arguments"},
		{"bad body", "POST", "/fib", `[1]`, g, 400, "refused", "bad_arguments"},
		{"unknown method", "GET", "/nosuch", "", g, 404, "refused", "unknown_method"},
		{"HTTP method not allowed", "DELETE", "/status", "", g, 405, "refused", "method_not_allowed"},
		{"a write by GET", "GET", "/forceunlock", "", g, 405, "refused", "method_not_allowed"},
		{"body too large", "POST", "/fib", `{"n": 10}` + strings.Repeat(" ", maxArgs), g, 413, "refused", "too_large"},
	}
	for _, c := range cases {
		serial := f.serial
		switch c.name {
		case "no fixture", "status, no fixture":
			serial = "NONE-" + uuid.NewString()[:8]
		case "timeout", "status, timeout":
			serial = silent
		case "raw reply":
			serial = legacy
		}
		var a struct {
			OK      bool           `json:"ok"`
			Outcome string         `json:"outcome"`
			Result  map[string]any `json:"result"`
			Error   *apiError      `json:"error"`
		}
		st := c.g.get(t, c.method, "/api/v1/fixtures/"+serial+c.path, c.body, &a)
		code := ""
		if a.Error != nil {
			code = a.Error.Code
		}
		if st != c.status || a.Outcome != c.outcome || code != c.code {
			t.Errorf("%s: got %d %s %q, want %d %s %q (%+v)", c.name, st, a.Outcome, code, c.status, c.outcome, c.code, a)
		}
	}
	if st := g.get(t, "GET", "/api/v1/fixtures/bad.serial", "", nil); st != 400 {
		t.Errorf("bad serial: %d, want 400", st)
	}
	for call, want := range map[string]string{"GET /forceunlock": "POST", "DELETE /forceunlock": "POST",
		"DELETE /status": "GET, POST"} {
		method, path, _ := strings.Cut(call, " ")
		req, _ := http.NewRequest(method, g.base+"/api/v1/fixtures/"+f.serial+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if allow := resp.Header.Get("Allow"); resp.StatusCode != 405 || allow != want {
			t.Errorf("%s: %d, Allow %q; want 405, Allow %q", call, resp.StatusCode, allow, want)
		}
	}
}

// rawQueue binds a queue for serial as a manager would; with reply set it
// answers every request with it (a manager predating the envelope), else
// never (a routed request that times out).
func rawQueue(t *testing.T, serial string, reply []byte) string {
	t.Helper()
	ch := testutil.RawChannel(t, testURL())
	q, err := ch.QueueDeclare("jig."+serial, false, true, true, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, serial+".Req.*", "amq.topic", false, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if reply == nil {
		return serial
	}
	d, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for m := range d {
			ch.PublishWithContext(context.Background(), "", m.ReplyTo, false, false,
				amqp.Publishing{CorrelationId: m.CorrelationId, Body: reply})
		}
	}()
	return serial
}

// TestFleetStaleAndMissing: an inventory's absent fixture is missing; a
// seen one is fresh, and stale once its manager stops (three heartbeats).
// TestAPIUnreachableSaysWhy: before the gateway first reaches the broker,
// its 503 says why the last dial failed, not only that it has not
// connected yet.
func TestAPIUnreachableSaysWhy(t *testing.T) {
	dead := startGateway(t, func(c *Config) { c.Broker.URLs = []string{"amqp://guest:guest@127.0.0.1:1/"} })
	deadline := time.After(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond) // until the first dial has failed
	defer tick.Stop()
	for {
		var a struct {
			Error *apiError `json:"error"`
		}
		st := dead.get(t, "GET", "/api/v1/fixtures/JIG-1/ping", "", &a)
		if st != 503 || a.Error == nil || !strings.Contains(a.Error.Message, "not reached the broker yet") {
			t.Fatalf("got %d %+v", st, a.Error)
		}
		if strings.Contains(a.Error.Message, "connection refused") {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("the 503 never said why: %q", a.Error.Message)
		}
	}
}

func TestFleetStaleAndMissing(t *testing.T) {
	f := startFixture(t)
	inv := t.TempDir() + "/inventory"
	writeFile(t, inv, "# the floor\nABSENT-1\n"+f.serial+"\n")
	g := startGateway(t, func(c *Config) { c.Fleet.Inventory = inv })
	if a, _ := g.fleet.Get("ABSENT-1"); !a.Missing || !a.Expected {
		t.Fatalf("ABSENT-1: %+v, want missing", a)
	}
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen && !x.Stale && x.Expected && x.Summary.Connected })
	start := time.Now()
	f.stop()
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Stale })
	t.Logf("stale %v after the manager stopped (heartbeat 200ms)", time.Since(start).Round(time.Millisecond))
	var list struct{ Fixtures []Fixture }
	if st := g.get(t, "GET", "/api/v1/fixtures", "", &list); st != 200 || len(list.Fixtures) < 2 {
		t.Fatalf("fixtures: %d %+v", st, list)
	}
}

// TestAPIWritesNeedToken: Lock (and a Query that writes) is refused
// without a configured token, needs the bearer token with one, and then
// reaches the manager.
func TestAPIWritesNeedToken(t *testing.T) {
	f := startFixture(t)
	open := startGateway(t, nil)
	guarded := startGateway(t, func(c *Config) { c.API.Token = "s3cret" })
	lock := `{"owner": "station-1", "ttl_s": 30}`
	var a struct {
		Outcome string
		Error   *apiError
	}
	if st := open.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/lock", lock, &a); st != 403 || a.Error.Code != "writes_disabled" {
		t.Errorf("lock with no token configured: %d %+v", st, a.Error)
	}
	if st := open.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/query", `{"command": "CONF:X 1"}`, &a); st != 403 {
		t.Errorf("writing query with no token configured: %d %+v", st, a.Error)
	}
	if st := guarded.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/lock", lock, &a); st != 401 {
		t.Errorf("lock without the bearer token: %d %+v", st, a.Error)
	}
	for _, h := range []string{"Bearer s3cre", "Basic s3cret", "Bearers3cret", "s3cret"} {
		if st := guarded.do(t, "POST", "/api/v1/fixtures/"+f.serial+"/lock", lock, h); st != 401 {
			t.Errorf("lock with Authorization %q: %d, want 401", h, st)
		}
	}
	// RFC 7235: the scheme is case-insensitive.
	req, _ := http.NewRequest("POST", guarded.base+"/api/v1/fixtures/"+f.serial+"/lock", strings.NewReader(lock))
	req.Header.Set("Authorization", "bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lock with the token (lower-case scheme): %d %s", resp.StatusCode, body)
	}
	g := guarded.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Summary.Holder == "station-1" })
	t.Logf("holder shown: %q", g.Summary.Holder)
}

// TestAllowedMethods: the methods a 405 names in its Allow header, by path;
// "" for a path the API does not serve (a 404).
func TestAllowedMethods(t *testing.T) {
	for path, want := range map[string]string{
		"/api/v1/fixtures": "GET", "/api/v1/events": "GET", "/api/v1/fixtures/JIG-1": "GET",
		"/api/v1/fixtures/JIG-1/status": "GET, POST", "/api/v1/fixtures/JIG-1/status/x": "",
		"/api/v1/fixtures/JIG-1/forceunlock": "POST", "/api/v1/fixtures/JIG-1/Lock": "POST",
		"/api/v1/nosuch": "", "/api/v2/fixtures": "", "/api/v1/fixtures//status": "",
	} {
		if got := allowedMethods(path); got != want {
			t.Errorf("allowedMethods(%q) = %q, want %q", path, got, want)
		}
	}
}

// do sends a request with an Authorization header; it returns the status.
func (g *gw) do(t *testing.T, method, path, body, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(method, g.base+path, stringsReader(body))
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
