package gateway

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestStaleWhateverHeartbeatAnnounced: an event announcing no heartbeat
// (0) or an absurd one (1e9 s) cannot keep a fixture from going stale: the
// follower takes the default, or the longest a manager may have, and three
// of them missed make it stale.
func TestStaleWhateverHeartbeatAnnounced(t *testing.T) {
	for _, c := range []struct {
		secs  float64
		every time.Duration
	}{{0, jigapi.DefaultHeartbeat}, {1e9, jigapi.MaxHeartbeat}, {2, 2 * time.Second}} {
		fl := NewFleet(nil, 10, 10)
		now := time.Now()
		fl.now = func() time.Time { return now }
		f, ok := fl.Apply(jigapi.Event{Serial: "S", Kind: jigapi.EvtHeartbeat, At: now,
			Summary: jigapi.Summary{Connected: true, State: "READY", HeartbeatS: c.secs, StartedAt: now}})
		if !ok || f.Stale {
			t.Fatalf("heartbeat_s %v: fresh row %+v (applied %v)", c.secs, f, ok)
		}
		now = now.Add(3*c.every - time.Millisecond)
		if f, _ := fl.Get("S"); f.Stale {
			t.Errorf("heartbeat_s %v: stale before three heartbeats of %v", c.secs, c.every)
		}
		now = now.Add(2 * time.Millisecond)
		if f, _ := fl.Get("S"); !f.Stale {
			t.Errorf("heartbeat_s %v: not stale after three heartbeats of %v", c.secs, c.every)
		}
	}
}

// TestNotStaleWhileBrokerLost: a fixture heard before the broker was lost
// does not turn stale while it is lost (the gateway cannot hear it), nor
// at its return: three heartbeats count again from then.
func TestNotStaleWhileBrokerLost(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	fl, link := NewFleet(nil, 10, 10), newBrokerLink(clock)
	fl.now, fl.broker = clock, link
	link.up()
	fl.Apply(jigapi.Event{Serial: "S", Kind: jigapi.EvtHeartbeat, At: now,
		Summary: jigapi.Summary{Connected: true, State: "READY", HeartbeatS: 2, StartedAt: now}})
	now = now.Add(time.Second)
	link.down(nil)
	now = now.Add(time.Minute)
	if f, _ := fl.Get("S"); f.Stale {
		t.Errorf("stale while the broker is lost")
	}
	link.up()
	now = now.Add(6*time.Second - time.Millisecond)
	if f, _ := fl.Get("S"); f.Stale {
		t.Errorf("stale before three heartbeats since the broker came back")
	}
	now = now.Add(2 * time.Millisecond)
	if f, _ := fl.Get("S"); !f.Stale {
		t.Errorf("not stale three heartbeats after the broker came back")
	}
}

// TestStaleNotBeforeLinkSeenDead: a fixture with a 2 s heartbeat goes
// silent, as every fixture does when the gateway's link freezes. It is not
// stale after three of its heartbeats, while the gateway could not yet
// have seen its own link dead (1.5 of its 5 s heartbeats and a second),
// only after that (it was: the whole fleet reported down before the
// gateway reported its own link lost).
func TestStaleNotBeforeLinkSeenDead(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	fl, link := NewFleet(nil, 10, 10), newBrokerLink(clock)
	fl.now, fl.broker, fl.minSilence = clock, link, mqmanager.DeadWithin(0)
	link.up()
	fl.Apply(jigapi.Event{Serial: "S", Kind: jigapi.EvtHeartbeat, At: now,
		Summary: jigapi.Summary{Connected: true, State: "READY", HeartbeatS: 2, StartedAt: now}})
	now = now.Add(6*time.Second + time.Millisecond)
	if f, _ := fl.Get("S"); f.Stale {
		t.Errorf("stale after three heartbeats (6 s), before the gateway could see its link dead (%v)", mqmanager.DeadWithin(0))
	}
	now = now.Add(mqmanager.DeadWithin(0))
	if f, _ := fl.Get("S"); !f.Stale {
		t.Errorf("not stale %v after its last event", 6*time.Second+mqmanager.DeadWithin(0))
	}
}
