package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// gatewayViaProxy is a gateway whose links to the test broker go through a
// fault proxy, once it has reached the broker.
func gatewayViaProxy(t *testing.T, opts ...testutil.ProxyOption) (*testutil.Proxy, *gw) {
	t.Helper()
	p, url := testutil.NewProxy(t, testURL(), opts...)
	g := startGateway(t, func(c *Config) { c.Broker.URLs = []string{url} })
	select {
	case <-g.dialed:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not reach the broker within 10s")
	}
	return p, g
}

// TestLateReadSaysWhereTimeWent: the gateway's link to the broker freezes
// as a live status read (2 s) is sent, and carries again with 200 ms of
// the read's time left, so the read reaches the manager with too little
// time for its board (100 ms an answer: 300 ms a read). The bus took the
// time: the manager's serial_timeout, the answer (502) and the row's
// status_error say first how much of the read's time was spent before the
// manager took it up, not the board's slowness alone.
func TestLateReadSaysWhereTimeWent(t *testing.T) {
	f := startFixtureOn(t, sim.Config{Delay: 100 * time.Millisecond},
		func(c *manager.Config) { c.Events.ReadEvery = 0 }) // the board is read only through the gateway
	p, g := gatewayViaProxy(t, testutil.AcceptQueueOfOne)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })
	g.readStatus(t, f.serial)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })

	p.Pause()
	thaw := time.AfterFunc(1800*time.Millisecond, p.Thaw) // the freeze's length is the scenario
	defer thaw.Stop()
	var a answer
	const where = "before the manager took it up"
	st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status?timeout=2s", "", &a)
	if st != 502 || a.Error == nil || a.Error.Code != jigapi.CodeSerialTimeout || !strings.Contains(a.Error.Message, where) {
		t.Errorf("a read that reached the manager with 200 ms of its 2 s: %d %+v; want 502 serial_timeout saying %q", st, a, where)
	}
	row, _ := g.fleet.Get(f.serial)
	if row.StatusError == nil || !strings.Contains(row.StatusError.Message, where) {
		t.Errorf("the row's status_error %+v; want the manager's serial_timeout saying %q", row.StatusError, where)
	}
}

// TestFrozenLinkReadNotRecorded: the gateway's link to the broker freezes,
// and a live status read (1 s, well within the 8.5 s the gateway takes to
// see its link dead) times out on it (504): its request never reached the
// manager. Once the link carries again, the fixture's row is as before
// the read: no status_error, the state read before it still current, and
// /metrics still exports it. (A timed-out read used to be kept in the
// row's status_error, with no current state, until the next good read.)
func TestFrozenLinkReadNotRecorded(t *testing.T) {
	f := startFixture(t, func(c *manager.Config) { c.Events.ReadEvery = 0 }) // read only through the gateway
	p, g := gatewayViaProxy(t)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen })
	before := g.readStatus(t, f.serial)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })

	p.Freeze()
	var a answer
	st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status?timeout=1s", "", &a)
	p.Thaw()
	if st != 504 || a.Outcome != OutcomeTimeout {
		t.Errorf("a read on a frozen link: %d %+v; want 504 %s", st, a, OutcomeTimeout)
	}
	var row fixtureAnswer
	g.get(t, "GET", "/api/v1/fixtures/"+f.serial, "", &row)
	if row.StatusError != nil {
		t.Errorf("the row records the frozen link's timeout against the board: %+v", *row.StatusError)
	}
	if row.Current == nil || !row.Current.ReadAt.Equal(before.ReadAt) {
		t.Errorf("the row's current %+v, want the read before the freeze (%v)", row.Current, before.ReadAt)
	}
	testutil.CheckMetrics(t, testutil.Scrape(t, g.base+"/metrics"), []testutil.Want{
		{Name: "jig_fixture_state", Labels: map[string]string{"serial": f.serial, "state": before.State}, Value: 1}})
}
