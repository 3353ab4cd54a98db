package jigapi

import (
	"fmt"
	"strings"
	"time"
)

// The kinds of event a manager publishes on amq.topic with the routing key
// "<serial>.Evt.<Kind>". A change event is published when the change is
// seen; a heartbeat every events.heartbeat, and at once when the manager
// (re)connects to the broker.
const (
	EvtHeartbeat    = "Heartbeat"    // the manager is alive; its summary
	EvtConnected    = "Connected"    // the board's port opened
	EvtDisconnected = "Disconnected" // the board's port closed: unplugged or gone
	EvtState        = "State"        // the status state read from the board changed
	EvtHolder       = "Holder"       // the fixture's lease holder changed
	EvtStopped      = "Stopped"      // the manager is stopping: it takes no more requests, and sends nothing more until it starts again
)

// EventKinds lists every kind, in the order above.
var EventKinds = []string{EvtHeartbeat, EvtConnected, EvtDisconnected, EvtState, EvtHolder, EvtStopped}

// EventSegment is the middle segment of an event's routing key.
const EventSegment = "Evt"

// Event is the body of every event: what happened, and the manager's
// summary after it.
type Event struct {
	Serial  string    `json:"serial"`  // the fixture, as in the routing key
	Kind    string    `json:"kind"`    // as in the routing key
	Seq     uint64    `json:"seq"`     // per manager run, from 1: a gap means events were lost
	At      time.Time `json:"at"`      // when the manager published it
	Summary Summary   `json:"summary"` // the manager's state after the event
}

// Summary is a manager's short account of its fixture, in every event and
// kept by whoever follows the events (jig-gateway's fleet table).
type Summary struct {
	Version     string    `json:"version"`                // the manager's version
	Connected   bool      `json:"connected"`              // the board's port is open
	State       string    `json:"state"`                  // the last state read from the board; "" before any, and once its port closed or reopened since
	Identity    string    `json:"identity"`               // the last identity read, "" as State
	LastReadAt  time.Time `json:"last_read_at,omitzero"`  // when the last good status read started (omitted if none)
	Holder      string    `json:"holder"`                 // the lease holder, "" when unlocked (or without leases)
	HeartbeatS  float64   `json:"heartbeat_s"`            // the manager's heartbeat interval in seconds: stale after three missed
	StartedAt   time.Time `json:"started_at"`             // when the manager started
	ReadErrors  uint64    `json:"read_errors"`            // status reads that failed since it started
	LastError   string    `json:"last_error,omitempty"`   // the last failed read's error (omitted if none)
	LastErrorAt time.Time `json:"last_error_at,omitzero"` // when (omitted if none)
}

// The bounds and default of a manager's heartbeat interval (its config's
// events.heartbeat).
const (
	MinHeartbeat     = 100 * time.Millisecond
	MaxHeartbeat     = time.Hour
	DefaultHeartbeat = 10 * time.Second
)

// Every is the heartbeat interval s announces, as a follower takes it:
// DefaultHeartbeat if it announces none (0, negative, not a number), and
// never outside MinHeartbeat to MaxHeartbeat, so that no event can make a
// fixture never stale (heartbeat_s 0 or 1e9) nor stale at once.
func (s Summary) Every() time.Duration {
	secs := s.HeartbeatS
	switch {
	case !(secs > 0): // also NaN
		return DefaultHeartbeat
	case secs >= MaxHeartbeat.Seconds():
		return MaxHeartbeat
	}
	return max(time.Duration(secs*float64(time.Second)), MinHeartbeat)
}

// EventKey is the routing key of an event of kind for serial.
func EventKey(serial, kind string) string { return serial + "." + EventSegment + "." + kind }

// EventBinding is the binding key following serial's events; serial "*"
// follows every fixture's.
func EventBinding(serial string) string { return serial + "." + EventSegment + ".*" }

// ParseEventKey splits "<serial>.Evt.<Kind>".
func ParseEventKey(key string) (serial, kind string, ok bool) {
	parts := strings.Split(key, ".")
	if len(parts) != 3 || parts[1] != EventSegment || parts[0] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[2], true
}

// CheckEvent reports why an event received with routing key key is not
// to be believed: its body must name the key's serial and kind.
func CheckEvent(key string, e Event) error {
	serial, kind, ok := ParseEventKey(key)
	switch {
	case !ok:
		return fmt.Errorf("routing key %q is not <serial>.%s.<Kind>", key, EventSegment)
	case e.Serial != serial || e.Kind != kind:
		return fmt.Errorf("routing key %q, body says serial %q kind %q", key, e.Serial, e.Kind)
	}
	return nil
}
