package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// mutating names the methods that change a fixture: they need the bearer
// token, and are refused when none is configured. Query does too when its
// command changes the board (jigapi.IsWrite).
var mutating = map[string]bool{jigapi.Lock.Name(): true, jigapi.Renew.Name(): true,
	jigapi.Unlock.Name(): true, jigapi.ForceUnlock.Name(): true}

// changes reports whether a call changes the fixture.
func changes(m jigapi.Info, args json.RawMessage) bool {
	if m.Name == jigapi.Query.Name() {
		var q jigapi.QueryArgs
		return json.Unmarshal(args, &q) != nil || jigapi.IsWrite(q.Command)
	}
	return mutating[m.Name]
}

// postOnly reports whether m is refused by GET: a method that changes a
// fixture whatever its arguments, so that a proxy or a prefetch never
// changes one.
func postOnly(m jigapi.Info) bool { return mutating[m.Name] }

// routes registers the API under /api/v1.
func (g *Gateway) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/fixtures", g.listFixtures)
	mux.HandleFunc("GET /api/v1/fixtures/{serial}", g.getFixture)
	mux.HandleFunc("GET /api/v1/fixtures/{serial}/{method}", g.callMethod)
	mux.HandleFunc("POST /api/v1/fixtures/{serial}/{method}", g.callMethod)
	mux.HandleFunc("GET /api/v1/events", g.serveEvents)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(r.URL.Path); allow != "" {
			g.refuse(w, r, refuse(RefusedMethodNotAllowed, r.Method+" "+r.URL.Path+": use "+allow))
			return
		}
		g.refuse(w, r, refuse(RefusedNoRoute, "no such endpoint: "+r.Method+" "+r.URL.Path))
	})
}

// allowedMethods is the methods routes takes for path, "" for a path it
// does not serve: what a 405 names.
func allowedMethods(path string) string {
	seg := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	switch {
	case !strings.HasPrefix(path, "/api/v1/") || slices.Contains(seg, ""):
		return ""
	case len(seg) == 1 && (seg[0] == "fixtures" || seg[0] == "events"), len(seg) == 2 && seg[0] == "fixtures":
		return "GET"
	case len(seg) == 3 && seg[0] == "fixtures":
		if m, ok := methodOf(seg[2]); ok && postOnly(m) {
			return "POST"
		}
		return "GET, POST"
	}
	return ""
}

// fleetListing is GET /api/v1/fixtures: the rows, and the broker state
// they are as current as.
type fleetListing struct {
	Fixtures []Fixture `json:"fixtures"`
	asOf
}

// fixtureAnswer is GET /api/v1/fixtures/{serial}: the row (its fields at
// the top level, as in the listing), and the broker state it is as
// current as, as the listing says it.
type fixtureAnswer struct {
	Fixture
	asOf
}

func (g *Gateway) listFixtures(w http.ResponseWriter, r *http.Request) {
	var l fleetListing
	l.asOf = g.readAsOf(func() { l.Fixtures = g.fleet.List() })
	writeJSON(w, http.StatusOK, l)
}

func (g *Gateway) getFixture(w http.ResponseWriter, r *http.Request) {
	serial := r.PathValue("serial")
	if err := mqmanager.CheckSerial(serial); err != nil {
		g.refuse(w, r, refuse(RefusedBadSerial, err.Error()))
		return
	}
	var a fixtureAnswer
	var ok bool
	a.asOf = g.readAsOf(func() { a.Fixture, ok = g.fleet.Get(serial) })
	if !ok {
		g.refuse(w, r, unknownFixture(serial, a.asOf))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// unknownFixture refuses a fixture the table has no row for, with the
// broker state it was read against: a gateway that lost its link, or never
// had it, may not have heard a fixture that is there.
func unknownFixture(serial string, as asOf) *refusal {
	msg := serial + " has sent no event and is not in the inventory"
	if as.Broker.State != BrokerConnected {
		msg += "; the gateway's link to the broker is " + strings.ReplaceAll(as.Broker.State, "_", " ") +
			", so it may not have heard it"
	}
	rf := refuse(RefusedUnknownFixture, msg+" (GET .../"+serial+"/ping asks it)")
	rf.asOf = &as
	return rf
}

// contract is the contract's methods, copied once: jigapi.Methods makes a
// fresh copy at each call, and methodOf runs on every request.
var contract = sync.OnceValue(jigapi.Methods)

// methodOf finds the contract's method for a path segment: its name in
// lower case, "status" for JigStatus.
func methodOf(seg string) (jigapi.Info, bool) {
	for _, m := range contract() {
		if strings.EqualFold(seg, m.Name) || (seg == "status" && m.Name == jigapi.JigStatus.Name()) {
			return m, true
		}
	}
	return jigapi.Info{}, false
}

// callMethod asks a fixture: GET for methods without arguments that do not
// change it, POST with the arguments as a JSON object for any. ?timeout=
// bounds it.
func (g *Gateway) callMethod(w http.ResponseWriter, r *http.Request) {
	serial, m, args, timeout, rf := g.parseCall(r)
	if rf != nil {
		g.refuse(w, r, rf)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	start := time.Now()
	a := answer{Serial: serial, Method: m.Name}
	var res json.RawMessage
	var err error
	if m.Name == jigapi.JigStatus.Name() && noArgs(args) { // shared calls (statusbatch.go)
		res, _, err = g.status.read(ctx, serial)
	} else { // every other method; a JigStatus with arguments is the manager's to refuse
		res, _, err = g.ask(ctx, serial, m, args)
	}
	if err == nil {
		a.Result = res
	}
	status := classify(err, &a)
	g.metrics.observe(m.Name, a.Outcome, time.Since(start))
	writeJSON(w, status, a)
}

// askStatus sends one JigStatus call for the status reader.
func (g *Gateway) askStatus(ctx context.Context, serial string) (json.RawMessage, *jigapi.Status, error) {
	return g.ask(ctx, serial, jigapi.JigStatus.Info(), json.RawMessage("{}"))
}

// statusCame records a JigStatus call that came back in the fixture's row,
// once for all the reads it answered, good or failed. A call whose readers
// all went away tells nothing of the board, and neither does one that
// found the gateway's own broker unreachable (the broker state says
// that), nor one that timed out: a manager whose board is late says so
// itself (serial_timeout) before the deadline, so no reply by the
// deadline is the bus's or the manager's, never the board's. None of
// them is recorded.
func (g *Gateway) statusCame(serial string, c *statusCall) {
	g.metrics.statusCalls.Inc()
	var a answer
	classify(c.err, &a)
	g.change(func() []Fixture {
		var f Fixture
		var ok bool
		switch {
		case c.st != nil:
			f, ok = g.fleet.SetStatus(serial, *c.st, c.sent)
		case a.Outcome != OutcomeCancelled && a.Outcome != OutcomeUnreachable && a.Outcome != OutcomeTimeout:
			f, ok = g.fleet.StatusFailed(serial, a.Outcome, a.Error, c.sent)
		}
		if !ok {
			return nil
		}
		return []Fixture{f}
	})
}

// ask runs one method and passes its result through as the manager sent
// it (no decode and re-encode on the way). A JigStatus result is also
// decoded, as the typed Client's Status does, for the fleet row: a result
// that is not a status is an error, never recorded.
func (g *Gateway) ask(ctx context.Context, serial string, m jigapi.Info, args json.RawMessage) (json.RawMessage, *jigapi.Status, error) {
	c, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	rep, err := c.Request(ctx, serial, m.Name, args)
	if err != nil {
		return nil, nil, err
	}
	if m.Name != jigapi.JigStatus.Name() {
		if rep.Raw {
			return nil, nil, &mqmanager.RawReplyError{Reply: rep}
		}
		return rep.Result, nil, nil
	}
	st, err := mqmanager.ResultOf[jigapi.Status](rep)
	if err != nil {
		return nil, nil, err
	}
	return rep.Result, &st, nil
}

// parseCall checks everything about a call the gateway can check itself:
// a refusal if it refuses the call.
func (g *Gateway) parseCall(r *http.Request) (string, jigapi.Info, json.RawMessage, time.Duration, *refusal) {
	serial := r.PathValue("serial")
	fail := func(rf *refusal) (string, jigapi.Info, json.RawMessage, time.Duration, *refusal) {
		return "", jigapi.Info{}, nil, 0, rf
	}
	if err := mqmanager.CheckSerial(serial); err != nil {
		return fail(refuse(RefusedBadSerial, err.Error()))
	}
	m, ok := methodOf(r.PathValue("method"))
	if !ok {
		return fail(refuse(RefusedUnknownMethod, fmt.Sprintf("no method %q in the contract", r.PathValue("method"))))
	}
	timeout, err := g.timeoutOf(r)
	if err != nil {
		return fail(refuse(RefusedBadTimeout, err.Error()))
	}
	args, rf := g.argsOf(r, m)
	if rf == nil && changes(m, args) {
		rf = g.authorize(r)
	}
	if rf != nil {
		return fail(rf)
	}
	return serial, m, args, timeout, nil
}

// timeoutOf reads ?timeout= (a Go duration, e.g. 500ms or 2s): default
// api.timeout, at most api.max_timeout; out of range is an error, never
// silently clamped.
func (g *Gateway) timeoutOf(r *http.Request) (time.Duration, error) {
	if r.URL.RawQuery == "" { // most requests: no need to parse a query
		return g.cfg.API.Timeout, nil
	}
	v := r.URL.Query().Get("timeout")
	if v == "" {
		return g.cfg.API.Timeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("timeout %q: want a duration such as 500ms or 2s", v)
	}
	if d < time.Millisecond || d > g.cfg.API.MaxTimeout {
		return 0, fmt.Errorf("timeout %v: must be between 1ms and %v", d, g.cfg.API.MaxTimeout)
	}
	return d, nil
}
