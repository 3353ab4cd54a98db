package gateway

import (
	"errors"
	"net/http/httptest"
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

func sameBroker(a, b BrokerState) bool {
	return a.State == b.State && a.Since.Equal(b.Since) && a.Error == b.Error
}
