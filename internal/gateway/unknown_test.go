package gateway

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

// idleGateway is a gateway that is not run: its broker link is moved by
// the test (up, down) and its clock set by it, and its HTTP surface is
// served as is. It reaches no broker.
type idleGateway struct {
	*Gateway
	clock *testutil.Clock
	base  string
}

func newIdleGateway(t *testing.T, inventory ...string) *idleGateway {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Broker.URLs = []string{testURL()}
	if len(inventory) > 0 {
		cfg.Fleet.Inventory = t.TempDir() + "/inventory"
		writeFile(t, cfg.Fleet.Inventory, inventory[0]+"\n")
	}
	g, err := New(cfg, "test", testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	clock := testutil.NewClock(time.Now())
	g.fleet.now, g.broker.now = clock.Now, clock.Now
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return &idleGateway{Gateway: g, clock: clock, base: srv.URL}
}

// heartbeat applies a heartbeat of serial (every 2 s, a READY board read
// now), as the follower would.
func (g *idleGateway) heartbeat(serial string) {
	now := g.clock.Now()
	g.apply(jigapi.Event{Serial: serial, Kind: jigapi.EvtHeartbeat, At: now,
		Summary: jigapi.Summary{Connected: true, State: "READY", LastReadAt: now, StartedAt: now, HeartbeatS: 2}})
}

// fixtureUp is serial's jig_fixture_up and jig_fixture_connected, or -1
// for a series absent, with jig_gateway_broker_connected.
func (g *idleGateway) fixtureUp(t *testing.T, serial string) (up, connected, broker float64) {
	t.Helper()
	mf := testutil.Scrape(t, g.base+"/metrics")
	value := func(name string, labels map[string]string) float64 {
		if m := testutil.FindMetric(mf[name], labels); m != nil {
			return testutil.MetricValue(m)
		}
		return -1
	}
	s := map[string]string{"serial": serial}
	return value("jig_fixture_up", s), value("jig_fixture_connected", s), value("jig_gateway_broker_connected", nil)
}

// TestFixtureUpUnknownWithoutBroker: jig_fixture_up (and
// jig_fixture_connected) are exported only while the gateway can know
// them: absent while the broker is lost or was never reached (unknown is
// neither up nor down; jig_gateway_broker_connected says why), absent
// after its return until the fixture is heard since, then 1; 0 for a
// fixture missing, or gone stale with the broker there.
func TestFixtureUpUnknownWithoutBroker(t *testing.T) {
	g := newIdleGateway(t, "ABSENT-1")
	want := func(when, serial string, up, conn, broker float64) {
		t.Helper()
		if u, c, b := g.fixtureUp(t, serial); u != up || c != conn || b != broker {
			t.Errorf("%s: %s up %v connected %v broker_connected %v; want %v %v %v (-1: absent)",
				when, serial, u, c, b, up, conn, broker)
		}
	}
	want("never connected", "ABSENT-1", -1, -1, 0)
	g.brokerChange(g.broker.up)
	want("connected", "ABSENT-1", 0, -1, 1)
	g.heartbeat("S-1")
	want("heard", "S-1", 1, 1, 1)
	g.clock.Advance(time.Second)
	g.brokerChange(func() bool { return g.broker.down(errors.New("connection closed")) })
	want("broker lost", "S-1", -1, -1, 0)
	want("broker lost", "ABSENT-1", -1, -1, 0)
	g.clock.Advance(time.Minute)
	g.brokerChange(g.broker.up)
	want("broker back, not heard since", "S-1", -1, -1, 1)
	g.heartbeat("S-1")
	want("broker back, heard since", "S-1", 1, 1, 1)
	g.clock.Advance(max(6*time.Second, g.fleet.minSilence) + time.Millisecond)
	want("three heartbeats silent", "S-1", 0, -1, 1)
}

// TestFixtureRowTellsBroker: GET /api/v1/fixtures/{serial} carries the
// broker state its row is as current as, as the listing does (the same
// state, since and error): connected, then lost with why while the row
// has no current state.
func TestFixtureRowTellsBroker(t *testing.T) {
	g := newIdleGateway(t)
	g.brokerChange(g.broker.up)
	g.heartbeat("S-1")
	type row struct {
		Fixture
		Broker *BrokerState `json:"broker"`
	}
	get := func() (row, BrokerState) {
		t.Helper()
		var r row
		var l fleetListing
		(&gw{base: g.base}).get(t, "GET", "/api/v1/fixtures/S-1", "", &r)
		(&gw{base: g.base}).get(t, "GET", "/api/v1/fixtures", "", &l)
		return r, l.Broker
	}
	r, listed := get()
	if r.Broker == nil || !sameBroker(*r.Broker, listed) || r.Broker.State != BrokerConnected || r.Current == nil {
		t.Fatalf("connected: the row says broker %+v (listing %+v), current %+v", r.Broker, listed, r.Current)
	}
	g.clock.Advance(time.Second)
	g.brokerChange(func() bool { return g.broker.down(errors.New("connection closed")) })
	r, listed = get()
	if r.Broker == nil || !sameBroker(*r.Broker, listed) || r.Broker.State != BrokerLost ||
		r.Broker.Error != "connection closed" || r.Current != nil {
		t.Fatalf("lost: the row says broker %+v (listing %+v), current %+v", r.Broker, listed, r.Current)
	}
}

// TestUnknownFixtureTellsBroker: a 404 unknown_fixture carries the broker
// state the table was read against, and while the gateway's link is not
// up it says that the gateway may not have heard the fixture: "unknown"
// from a gateway that hears nothing is not "absent from the floor".
func TestUnknownFixtureTellsBroker(t *testing.T) {
	g := newIdleGateway(t)
	type answer struct {
		Outcome string       `json:"outcome"`
		Error   apiError     `json:"error"`
		Broker  *BrokerState `json:"broker"`
	}
	get := func(when, state string, mayNotHave bool) {
		t.Helper()
		var a answer
		code := (&gw{base: g.base}).get(t, "GET", "/api/v1/fixtures/NOT-HEARD-1", "", &a)
		said := strings.Contains(a.Error.Message, "may not have heard it")
		if code != 404 || a.Error.Code != RefusedUnknownFixture || a.Broker == nil || a.Broker.State != state ||
			said != mayNotHave {
			t.Errorf("%s: %d %+v broker %+v; want 404 unknown_fixture, broker %s, 'may not have heard it' %t",
				when, code, a.Error, a.Broker, state, mayNotHave)
		}
	}
	get("never connected", BrokerNeverConnected, true)
	g.brokerChange(g.broker.up)
	get("connected", BrokerConnected, false)
	g.brokerChange(func() bool { return g.broker.down(errors.New("connection closed")) })
	get("lost", BrokerLost, true)
}

func sameBroker(a, b BrokerState) bool {
	return a.State == b.State && a.Since.Equal(b.Since) && a.Error == b.Error
}

// TestStaleRowResentWhenLossSeen: a freeze of the gateway's link (nothing
// arrives, not yet seen as a loss) turns a row stale; once the loss is
// seen, silence is not counted, and the stream is sent the row again, no
// longer stale (it was not: the dashboard kept it STALE for the whole
// loss and after).
func TestStaleRowResentWhenLossSeen(t *testing.T) {
	g := newIdleGateway(t)
	g.brokerChange(g.broker.up)
	g.heartbeat("S-1")
	sub, _ := g.hub.subscribe()
	g.clock.Advance(max(6*time.Second, g.fleet.minSilence) + time.Millisecond) // the freeze
	g.change(g.fleet.Sweep)
	if f := nextRow(t, sub); f.Serial != "S-1" || !f.Stale {
		t.Fatalf("after three silent heartbeats: %+v, want S-1 stale", f)
	}
	g.brokerChange(func() bool { return g.broker.down(errors.New("missed heartbeats")) })
	if f := nextRow(t, sub); f.Serial != "S-1" || f.Stale {
		t.Fatalf("once the loss is seen: %+v, want S-1 sent again, not stale", f)
	}
}

// nextRow is the next fixture message on a stream, skipping the others.
func nextRow(t *testing.T, sub chan []byte) Fixture {
	t.Helper()
	for {
		select {
		case msg := <-sub:
			const head = "event: fixture\ndata: "
			if !strings.HasPrefix(string(msg), head) {
				continue
			}
			var f Fixture
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(string(msg), head))), &f); err != nil {
				t.Fatal(err)
			}
			return f
		default:
			t.Fatal("no fixture message on the stream")
			return Fixture{}
		}
	}
}
