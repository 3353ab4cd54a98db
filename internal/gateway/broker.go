package gateway

import (
	"sync"
	"time"
)

// The gateway's broker states, as BrokerState.State.
const (
	// BrokerConnected: the gateway follows the events.
	BrokerConnected = "connected"
	// BrokerLost: the gateway had the broker and lost it: the fleet table
	// is as of then, not now.
	BrokerLost = "lost"
	// BrokerNeverConnected: the gateway has not reached the broker since
	// it started.
	BrokerNeverConnected = "never_connected"
)

// BrokerState is the gateway's link to the broker, as the API's fleet
// listing, the event stream and the dashboard tell it.
type BrokerState struct {
	State string    `json:"state"`
	Since time.Time `json:"since"`           // when it entered State (never_connected: when the gateway started)
	Error string    `json:"error,omitempty"` // why it is not connected: the last failure (omitted when connected)
}

// asOf is what an answer made of fleet rows is as current as: the broker
// state and the time it was taken at, with the rows (readAsOf). The fleet
// listing and a single row carry it as their "broker" and "at"; /metrics
// reads it the same way.
type asOf struct {
	Broker BrokerState `json:"broker"`
	At     time.Time   `json:"at"`
}

// readAsOf runs read, which reads the fleet table, and takes the broker
// state of that same moment: both under changeMu, under which the broker
// state changes (brokerChange), so the rows were viewed against that
// state and no other.
func (g *Gateway) readAsOf(read func()) asOf {
	g.changeMu.Lock()
	defer g.changeMu.Unlock()
	read()
	return asOf{Broker: g.broker.State(), At: time.Now()}
}

// brokerLink is the one home of the gateway's broker state: the event
// follower's link feeds it (up, down); the API, the event stream, the
// fleet table's current states and the metrics read it. The follower is
// the gateway's one link kept up whatever the traffic, and the fleet table
// is only as current as it: the request client dials again only on its
// next request, so its idle link says nothing of the broker, and each
// request says its own outcome (broker_unreachable among them).
type brokerLink struct {
	mu      sync.Mutex
	now     func() time.Time
	st      BrokerState
	upSince time.Time // when the follower last went live: events before then were a lost link's
}

func newBrokerLink(now func() time.Time) *brokerLink {
	return &brokerLink{now: now, st: BrokerState{State: BrokerNeverConnected, Since: now()}}
}

// State is the broker state now.
func (b *brokerLink) State() BrokerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

// heardSince is when the event link last came up, and whether it is up
// now: a fixture's row is current only if it was heard since then
// (Fleet.view).
func (b *brokerLink) heardSince() (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.upSince, b.st.State == BrokerConnected
}

// up records the follower going live; it reports whether the state changed.
func (b *brokerLink) up() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.upSince = b.now()
	return b.set(BrokerConnected, nil)
}

// down records the follower's failed attempt or lost link.
func (b *brokerLink) down(err error) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.set(BrokerLost, err)
}

// set moves to state with err as why; never_connected stays until the
// gateway first connects, and a state's since is kept while it lasts (its
// error is the latest). b.mu is held; it reports whether the state
// changed.
func (b *brokerLink) set(state string, err error) bool {
	if state == BrokerLost && b.st.State == BrokerNeverConnected {
		state = BrokerNeverConnected
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if state == b.st.State {
		b.st.Error = msg
		return false
	}
	b.st = BrokerState{State: state, Since: b.now(), Error: msg}
	return true
}

// brokerChange applies do, a change of the broker link, under changeMu (as
// Gateway.change): if it changed the state, it is logged and streamed, and
// so are the rows whose current state or staleness it changed (a lost
// broker ends every row's current state, and a staleness that its silence
// caused before the loss was seen; a row is current again once heard
// since).
func (g *Gateway) brokerChange(do func() bool) {
	g.changeMu.Lock()
	defer g.changeMu.Unlock()
	before := map[string]rowShown{}
	for _, f := range g.fleet.List() {
		before[f.Serial] = shownOf(f)
	}
	if !do() {
		return
	}
	st := g.broker.State()
	if st.State == BrokerConnected {
		g.log.Info("broker connected")
	} else {
		g.log.Warn("broker lost", "state", st.State, "err", st.Error)
	}
	g.hub.broadcast(sseMessage("broker", st))
	for _, f := range g.fleet.List() {
		if shownOf(f) != before[f.Serial] {
			g.hub.publish(f)
		}
	}
}

// rowShown is what of a row the broker state changes: whether it has a
// current state, and whether it is stale (silence is not counted while the
// broker is lost: a row stale from a freeze not yet seen as a loss is
// fresh again once it is).
type rowShown struct{ current, stale bool }

func shownOf(f Fixture) rowShown { return rowShown{current: f.Current != nil, stale: f.Stale} }
