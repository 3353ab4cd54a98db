package gateway

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
)

// onPrivate runs a fixture and a gateway on the package's private node,
// both reconnecting within 200 ms of its return, and waits for the
// fixture's state to be current. The fixture's heartbeat is 2 s: it goes
// stale 6 s after its last event, longer than the broker takes to stop,
// so a row current while the broker is lost would be seen as such. The
// node is running again when the test ends, whatever it did to it.
func onPrivate(t *testing.T) (*testbroker.Node, *fixture, *gw) {
	t.Helper()
	node := private.Get(t)
	t.Cleanup(func() {
		if !node.Running() {
			if err := node.Start(); err != nil {
				t.Errorf("start the private node again: %v", err)
			}
		}
	})
	f := startFixture(t, func(c *manager.Config) {
		c.Broker.URLs, c.Broker.ReconnectMax = []string{node.GuestURL()}, 200*time.Millisecond
		c.Events.Heartbeat = 2 * time.Second
	})
	g := startGateway(t, func(c *Config) {
		c.Broker.URLs, c.Broker.ReconnectMax = []string{node.GuestURL()}, 200*time.Millisecond
	})
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	return node, f, g
}

// awaitBroker waits, on the gateway's streams, for its broker state to be
// state; at most d.
func (g *gw) awaitBroker(t *testing.T, state string, d time.Duration) BrokerState {
	t.Helper()
	c, _ := g.hub.subscribe()
	defer func() { g.hub.unsubscribe(c) }()
	deadline := time.After(d)
	for {
		if st := g.broker.State(); st.State == state {
			return st
		}
		select {
		case _, open := <-c:
			if !open {
				c, _ = g.hub.subscribe()
			}
		case <-deadline:
			t.Fatalf("broker state not %s within %v: %+v", state, d, g.broker.State())
		}
	}
}

// awaitBroker reads the stream's broker messages until one says
// state; at most 5 s.
func (s *stream) awaitBroker(t *testing.T, state string) BrokerState {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case b, ok := <-s.b:
			if !ok {
				t.Fatal("stream ended")
			}
			if b.State == state {
				return b
			}
		case <-deadline:
			t.Fatalf("no broker %s on the stream within 5s", state)
		}
	}
}

// TestBrokerLostTold: the gateway tells that it lost the broker at once,
// in the fleet listing (broker.state lost, since, why), on the event
// stream and in jig_gateway_broker_connected, and no fixture's state is
// current meanwhile: the table is as of the loss. Once the broker is
// back it says connected again, and a fixture is current again only once
// heard since, also after a live read during the loss (which failed for
// the gateway, not for the board), and jig_fixture_up is 1 again.
func TestBrokerLostTold(t *testing.T) {
	node, f, g := onPrivate(t)
	s := openStream(t, g.base)
	s.awaitBroker(t, BrokerConnected)
	if l := g.listing(t); l.Broker.State != BrokerConnected || l.Broker.Since.IsZero() || l.Broker.Error != "" {
		t.Fatalf("connected gateway's listing says broker %+v", l.Broker)
	}
	wantConnected(t, g, 1)
	lostAt := time.Now()
	if err := node.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("the broker took %v to stop", time.Since(lostAt).Round(time.Millisecond))
	g.awaitBroker(t, BrokerLost, 5*time.Second)
	g.wantLost(t, f.serial, lostAt)
	s.awaitBroker(t, BrokerLost)
	s.awaitRow(t, f.serial, func(x Fixture) bool { return x.Current == nil })
	// A live read meanwhile finds the gateway's own broker unreachable:
	// nothing about the board, so not a failed read of it once back.
	var a answer
	if st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status", "", &a); st != 503 || a.Outcome != OutcomeUnreachable {
		t.Fatalf("a live read while the broker is lost: %d %+v", st, a)
	}
	var row Fixture
	if g.get(t, "GET", "/api/v1/fixtures/"+f.serial, "", &row); row.StatusError != nil {
		t.Errorf("the gateway's lost broker recorded as a failed read of the board: %+v", *row.StatusError)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	back := g.awaitBroker(t, BrokerConnected, 5*time.Second)
	s.awaitBroker(t, BrokerConnected)
	wantConnected(t, g, 1)
	x := g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	if x.LastSeen.Before(back.Since) && x.StatusAt.Before(back.Since) {
		t.Errorf("current again (%+v) though not heard since the broker came back at %v", *x.Current, back.Since)
	}
	testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"),
		[]testutil.Want{{Name: "jig_fixture_up", Labels: map[string]string{"serial": f.serial}, Value: 1}})
}

// listing is GET /api/v1/fixtures.
func (g *gw) listing(t *testing.T) fleetListing {
	t.Helper()
	var l fleetListing // a fresh one each time: decoding into an old one keeps the fields the new omits
	g.get(t, "GET", "/api/v1/fixtures", "", &l)
	return l
}

// wantLost checks what the gateway says after losing the broker (at
// lost): the listing's broker lost since then with why, and serial's own
// row the same, no row current (serial's not yet stale, or the check
// would prove nothing), and in /metrics the broker not connected and no
// fixture state, up or connected: unknown.
func (g *gw) wantLost(t *testing.T, serial string, lost time.Time) {
	t.Helper()
	l := g.listing(t)
	if b := l.Broker; b.State != BrokerLost || b.Since.Before(lost) || b.Error == "" {
		t.Fatalf("after the broker stopped (at %v), the listing says broker %+v", lost, b)
	}
	for _, x := range l.Fixtures {
		if x.Serial == serial && x.Stale {
			t.Errorf("%s: stale already: the test cannot tell a current row", x.Serial)
		}
		if x.Current != nil {
			t.Errorf("%s: current %+v while the broker is lost", x.Serial, *x.Current)
		}
	}
	var row struct {
		Fixture
		Broker *BrokerState `json:"broker"`
	}
	if g.get(t, "GET", "/api/v1/fixtures/"+serial, "", &row); row.Broker == nil || !sameBroker(*row.Broker, l.Broker) {
		t.Errorf("%s's row says broker %+v, the listing %+v", serial, row.Broker, l.Broker)
	}
	wantConnected(t, g, 0)
	mf := testutil.Scrape(t, g.base+"/metrics")
	for _, name := range []string{"jig_fixture_state", "jig_fixture_up", "jig_fixture_connected"} {
		if m := testutil.FindMetric(mf[name], map[string]string{"serial": serial}); m != nil {
			t.Errorf("%s exported while the broker is lost: %v = %v", name, m.GetLabel(), testutil.MetricValue(m))
		}
	}
}

// wantConnected checks jig_gateway_broker_connected.
func wantConnected(t *testing.T, g *gw, v float64) {
	t.Helper()
	testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"),
		[]testutil.Want{{Name: "jig_gateway_broker_connected", Value: v}})
}
