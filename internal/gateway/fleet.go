package gateway

import (
	"slices"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// Fixture is one row of the fleet table, as the API and the dashboard
// show it.
type Fixture struct {
	Serial   string         `json:"serial"`
	Expected bool           `json:"expected"`           // listed in the inventory
	Seen     bool           `json:"seen"`               // an event came from it since the gateway started
	Missing  bool           `json:"missing"`            // expected, never seen
	Stale    bool           `json:"stale"`              // seen, but stopped, not on the bus at a live read, or no event for three heartbeats
	Stopped  bool           `json:"stopped"`            // its last event was Stopped: its manager stopped cleanly
	LastSeen time.Time      `json:"last_seen,omitzero"` // its last event's arrival
	Summary  jigapi.Summary `json:"summary"`            // from its last event
	// Current is the board's state now (entry.current); omitted when none
	// is known: the summary's and the status's are then earlier moments'.
	Current     *Reading       `json:"current,omitempty"`
	Status      *jigapi.Status `json:"status,omitempty"`       // the last good live status read through the gateway
	StatusAt    time.Time      `json:"status_at,omitzero"`     // when that read was answered
	StatusError *StatusError   `json:"status_error,omitempty"` // the last live read failed; omitted once one is good
	Events      []jigapi.Event `json:"events,omitempty"`       // recent events, oldest first (single fixture only)
	// heard: heard on the event link as it is now (linkView.heard): the
	// link is up and the row was heard since it came up. Not in the JSON:
	// the broker state the row comes with tells it (asOf).
	heard bool
}

type entry struct {
	expected  bool
	lastSeen  time.Time
	summary   jigapi.Summary
	status    *jigapi.Status
	statusAt  time.Time
	statusErr *StatusError // the last live read through the gateway failed
	// statusSent is when the call behind status or statusErr was sent: a
	// call sent before it that comes back later is older news, not recorded.
	statusSent time.Time
	connAt     time.Time      // when the board's port last opened or closed (the event's At: its manager's clock)
	recent     []jigapi.Event // at most fleet.recent, oldest first
	stale      bool           // as last reported (Sweep)
	stopped    bool           // the last event was jigapi.EvtStopped
	// gone: the last live read through the gateway, sent after the last
	// event came, found no manager for the serial on the bus (no_fixture).
	gone bool
}

// Fleet is the table of fixtures: every one seen in the events, and every
// one the inventory expects. It holds at most maxFixtures entries (events
// from more serials are refused, counted, and never grow it) and
// recentEvents events per entry: its memory is bounded whatever the events.
type Fleet struct {
	mu          sync.Mutex
	m           map[string]*entry
	maxFixtures int
	recent      int
	now         func() time.Time
	// broker is the gateway's broker link: a row is current only if heard
	// since the event link last came up (linkView). Nil: always up.
	broker *brokerLink
	// minSilence is the least silence that makes a row stale, whatever its
	// heartbeat: the time the gateway takes to see its own event link dead
	// (mqmanager.DeadWithin). A link that froze carries no event from anyone, and
	// until it is seen lost, a shorter silence says nothing of the fixture.
	minSilence time.Duration
}

// NewFleet makes a table expecting the inventory's serials.
func NewFleet(inventory []string, maxFixtures, recentEvents int) *Fleet {
	f := &Fleet{m: map[string]*entry{}, maxFixtures: max(maxFixtures, len(inventory)),
		recent: recentEvents, now: time.Now}
	for _, s := range inventory {
		f.m[s] = &entry{expected: true}
	}
	return f
}

// Apply records an event; it reports false when the table is full and the
// serial new to it.
func (f *Fleet) Apply(e jigapi.Event) (Fixture, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	en, ok := f.m[e.Serial]
	if !ok {
		if len(f.m) >= f.maxFixtures {
			return Fixture{}, false
		}
		en = &entry{}
		f.m[e.Serial] = en
	}
	if en.newConnection(e) {
		en.connAt = e.At
	}
	en.stopped, en.gone = e.Kind == jigapi.EvtStopped, false
	en.lastSeen, en.summary, en.stale = f.now(), e.Summary, en.stopped // a Stopped is stale at once, told now
	if len(en.recent) == f.recent {
		en.recent = slices.Delete(en.recent, 0, 1)
	}
	if f.recent > 0 {
		en.recent = append(en.recent, e)
	}
	return f.view(e.Serial, en, f.link(), false), true
}

// SetStatus records a good live status read of a fixture already in the
// table, from a call sent at sent; false if the row already shows a later
// call's outcome (or there is no row).
func (f *Fleet) SetStatus(serial string, st jigapi.Status, sent time.Time) (Fixture, bool) {
	return f.update(serial, sent, func(en *entry) {
		en.status, en.statusAt, en.statusErr, en.gone = &st, f.now(), nil, false
	})
}

// StatusFailed records a live status read of a fixture already in the
// table that failed, with its answer's outcome and error, from a call sent
// at sent (as SetStatus): the state read before it is no longer shown as
// current. A read that found no manager for the serial on the bus
// (no_fixture), sent after its last event came, makes it stale at once,
// until its next event: nothing answers for it now.
func (f *Fleet) StatusFailed(serial, outcome string, e *apiError, sent time.Time) (Fixture, bool) {
	return f.update(serial, sent, func(en *entry) {
		en.failed(outcome, e, f.now())
		en.gone = outcome == OutcomeNoFixture && en.lastSeen.Before(sent)
	})
}

// update records the outcome of a status call sent at sent.
func (f *Fleet) update(serial string, sent time.Time, do func(*entry)) (Fixture, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	en, ok := f.m[serial]
	if !ok || sent.Before(en.statusSent) {
		return Fixture{}, false
	}
	en.statusSent = sent
	do(en)
	v := f.view(serial, en, f.link(), false)
	en.stale = v.Stale // told now, with the row: not again by Sweep
	return v, true
}

// Sweep returns the fixtures that turned stale since the last sweep.
func (f *Fleet) Sweep() []Fixture {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Fixture
	link := f.link()
	for s, en := range f.m {
		if v := f.view(s, en, link, false); v.Stale && !en.stale {
			en.stale = true
			out = append(out, v)
		}
	}
	return out
}

// List is every fixture, by serial.
func (f *Fleet) List() []Fixture {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Fixture, 0, len(f.m))
	link := f.link()
	for s, en := range f.m {
		out = append(out, f.view(s, en, link, false))
	}
	slices.SortFunc(out, func(a, b Fixture) int { return cmpString(a.Serial, b.Serial) })
	return out
}

// Get is one fixture with its recent events.
func (f *Fleet) Get(serial string) (Fixture, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	en, ok := f.m[serial]
	if !ok {
		return Fixture{}, false
	}
	return f.view(serial, en, f.link(), true), true
}

// view is a row as the API shows it, against the broker link as link
// took it.
func (f *Fleet) view(serial string, en *entry, link linkView, events bool) Fixture {
	v := Fixture{Serial: serial, Expected: en.expected, Seen: !en.lastSeen.IsZero(), LastSeen: en.lastSeen,
		Summary: en.summary, Status: en.status, StatusAt: en.statusAt, StatusError: en.statusErr}
	v.Missing = en.expected && !v.Seen
	v.Stopped = en.stopped
	v.Stale = v.Seen && (en.stopped || en.gone || link.silent(en, f.now()) > max(3*en.summary.Every(), f.minSilence))
	v.heard = link.heard(en)
	v.Current = en.current(!v.Stale && v.heard)
	if events {
		v.Events = slices.Clone(en.recent)
	}
	return v
}

// linkView is the broker link as a view of the table takes it: once per
// listing, so that every row of it is seen against the same link.
type linkView struct {
	since time.Time // when the event link last came up
	up    bool
}

func (f *Fleet) link() linkView {
	if f.broker == nil {
		return linkView{up: true}
	}
	since, up := f.broker.heardSince()
	return linkView{since: since, up: up}
}

// silent is how long the row has gone unheard while the event link was up
// (0 while it is down): a fixture is not stale for events the gateway
// could not hear; its three heartbeats count again from the link's return.
func (l linkView) silent(en *entry, now time.Time) time.Duration {
	if !l.up {
		return 0
	}
	return now.Sub(latest(en.lastSeen, l.since))
}

// heard reports whether the row was heard on the event link as it is now:
// the link is up and an event, or a live read through the gateway, came
// since it came up. Events missed while it was down may have changed the
// board, so what came before is an earlier moment's.
func (l linkView) heard(en *entry) bool {
	return l.up && (!en.lastSeen.Before(l.since) || !en.statusAt.Before(l.since))
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
