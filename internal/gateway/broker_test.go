package gateway

import (
	"errors"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// clock is a fake time that a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                { return c.t }
func (c *clock) add(d time.Duration) time.Time { c.t = c.t.Add(d); return c.t }

// TestBrokerLinkStates: never connected until the follower first goes
// live (failed attempts only say why); then lost since the first loss,
// with the latest error, until live again.
func TestBrokerLinkStates(t *testing.T) {
	c := &clock{t: time.Now()}
	start := c.t
	b := newBrokerLink(c.now)
	want := func(step string, changed, wantChanged bool, state string, since time.Time, err string) {
		t.Helper()
		st := b.State()
		if changed != wantChanged || st.State != state || !st.Since.Equal(since) || st.Error != err {
			t.Errorf("%s: %+v (changed %v), want %s since %v, error %q (changed %v)",
				step, st, changed, state, since, err, wantChanged)
		}
	}
	want("start", false, false, BrokerNeverConnected, start, "")
	c.add(time.Second)
	want("a failed attempt", b.down(errors.New("refused")), false, BrokerNeverConnected, start, "refused")
	up := c.add(time.Second)
	want("live", b.up(), true, BrokerConnected, up, "")
	lost := c.add(time.Second)
	want("lost", b.down(errors.New("connection closed")), true, BrokerLost, lost, "connection closed")
	c.add(time.Second)
	want("a failed attempt while lost", b.down(errors.New("refused")), false, BrokerLost, lost, "refused")
	again := c.add(time.Second)
	want("live again", b.up(), true, BrokerConnected, again, "")
	if since, ok := b.heardSince(); !ok || !since.Equal(again) {
		t.Errorf("heardSince %v %v, want %v true", since, ok, again)
	}
}

// TestCurrentOnlyWhileLinked: no row is current while the broker is lost,
// nor, once it is back, until heard since (an event, or a live read
// through the gateway): what came before may have changed unseen.
func TestCurrentOnlyWhileLinked(t *testing.T) {
	c := &clock{t: time.Now()}
	b := newBrokerLink(c.now)
	fl := NewFleet(nil, 10, 10)
	fl.now, fl.broker = c.now, b
	b.up()
	heartbeat := func() Fixture {
		at := c.add(time.Second)
		f, _ := fl.Apply(jigapi.Event{Serial: "S", Kind: jigapi.EvtHeartbeat, At: at, Summary: jigapi.Summary{
			Connected: true, State: "READY", LastReadAt: at, StartedAt: at.Add(-time.Hour), HeartbeatS: 60}})
		return f
	}
	if f := heartbeat(); f.Current == nil {
		t.Fatal("a heartbeat on a live link: not current")
	}
	c.add(time.Second)
	b.down(errors.New("connection closed"))
	if f, _ := fl.Get("S"); f.Current != nil || f.Stale {
		t.Errorf("broker lost: current %+v, stale %v; want none current, not stale (not known)", f.Current, f.Stale)
	}
	c.add(time.Second)
	b.up()
	if f, _ := fl.Get("S"); f.Current != nil {
		t.Errorf("broker back, not heard since: current %+v", *f.Current)
	}
	if f := heartbeat(); f.Current == nil {
		t.Error("heard since the broker came back: not current")
	}
}
