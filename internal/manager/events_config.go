package manager

import (
	"errors"
	"fmt"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/jigapi"
)

// Events configures the events the manager publishes (<serial>.Evt.<Kind>,
// see jigapi): a change event when the board connects or disconnects, its
// state or its lease holder changes, and a heartbeat with its summary.
// Kept apart from Config's other sections so that it merges as one piece.
type Events struct {
	// Heartbeat is how often a heartbeat is published; followers call a
	// manager stale after three missed. Default jigapi.DefaultHeartbeat
	// (10s), jigapi.MinHeartbeat (100ms) to jigapi.MaxHeartbeat (1h).
	Heartbeat time.Duration `yaml:"heartbeat"`
	// Poll is how often the board's connection and the lease holder are
	// looked at (no board traffic: the port's own probe notices an
	// unplug). Default 250ms, 10ms up to heartbeat.
	Poll time.Duration `yaml:"poll"`
	// ReadEvery, if set, makes the manager read its board's status itself
	// when no one has for that long, so that followers see its state.
	// Default 0: off (the state is that of the last read asked for).
	ReadEvery time.Duration `yaml:"read_every"`
	// Off disables events altogether. Default false.
	Off bool `yaml:"off"`
}

// DefaultEvents are Events' defaults.
func DefaultEvents() Events {
	return Events{Heartbeat: jigapi.DefaultHeartbeat, Poll: 250 * time.Millisecond}
}

// TTL is the expiration events are published with: three heartbeats, after
// which a follower calls the manager stale anyway.
func (e Events) TTL() time.Duration { return 3 * e.Heartbeat }

// Validate reports every problem, each under its key relative to Events.
// Poll's bound is heartbeat only while heartbeat is itself in bounds: a
// heartbeat out of them is its own problem, and a poll left at its default
// is not one more.
func (e Events) Validate() error {
	var errs []error
	maxPoll, upTo := e.Heartbeat, fmt.Sprintf("heartbeat (%v)", e.Heartbeat)
	if e.Heartbeat < jigapi.MinHeartbeat || e.Heartbeat > jigapi.MaxHeartbeat {
		errs = append(errs, keypath.Errorf("heartbeat", "%v is not between %v and %v", e.Heartbeat,
			jigapi.MinHeartbeat, jigapi.MaxHeartbeat))
		maxPoll, upTo = jigapi.MaxHeartbeat, jigapi.MaxHeartbeat.String()
	}
	if e.Poll < minPoll || e.Poll > maxPoll {
		errs = append(errs, keypath.Errorf("poll", "%v is not between %v and %s", e.Poll, minPoll, upTo))
	}
	if e.ReadEvery != 0 && (e.ReadEvery < 100*time.Millisecond || e.ReadEvery > 24*time.Hour) {
		errs = append(errs, keypath.Errorf("read_every", "%v is not 0 (off) or between 100ms and 24h", e.ReadEvery))
	}
	return errors.Join(errs...)
}

// minPoll bounds Events.Poll from below.
const minPoll = 10 * time.Millisecond
