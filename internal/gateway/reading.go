package gateway

import (
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// Reading is a state read from a board: what a fixture's row shows as
// its current state (Fixture.Current). ReadAt is on its manager's clock,
// as every time it is compared with here.
type Reading struct {
	State    string    `json:"state"`
	Identity string    `json:"identity"`
	ReadAt   time.Time `json:"read_at"` // when the read started
}

// StatusError is a live status read through the gateway that failed: the
// outcome and error of its answer, and when it was answered.
type StatusError struct {
	Outcome string    `json:"outcome"`
	Code    string    `json:"code"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
	// over is the newest good read's time when this one failed: a reading
	// counts again only when it is newer (manager's clock).
	over time.Time
}

// current is the board's state now, or nil when none is known: the
// newest good read (its manager's, in the summary, or the gateway's own
// status read), if its manager is heard (not stale, heard since the
// gateway's event link last came up) and says the port is open, and the
// read has a time, was made since that manager started and the port last
// opened, and no read failed after it (the manager's, or one through the
// gateway). Anything else is an earlier moment's, left in the summary and
// status with their times, never shown as the state.
func (en *entry) current(heard bool) *Reading {
	if !heard || !en.summary.Connected {
		return nil
	}
	r := en.newest()
	epoch := latest(en.connAt, en.summary.StartedAt)
	switch {
	case r.State == "", r.ReadAt.IsZero(), r.ReadAt.Before(epoch), en.summary.LastErrorAt.After(r.ReadAt):
		return nil
	case en.statusErr != nil && !r.ReadAt.After(en.statusErr.over):
		return nil
	}
	return &r
}

// newest is the newer of the summary's read and the gateway's own.
func (en *entry) newest() Reading {
	var r Reading
	if s := en.summary; s.State != "" {
		r = Reading{State: s.State, Identity: s.Identity, ReadAt: s.LastReadAt}
	}
	if st := en.status; st != nil && st.ReadAt.After(r.ReadAt) {
		r = Reading{State: st.State, Identity: st.Identity, ReadAt: st.ReadAt}
	}
	return r
}

// failed records a live status read through the gateway that failed.
func (en *entry) failed(outcome string, e *apiError, at time.Time) {
	over := en.summary.LastReadAt
	if en.status != nil {
		over = latest(over, en.status.ReadAt)
	}
	se := &StatusError{Outcome: outcome, At: at, over: over}
	if e != nil {
		se.Code, se.Message = e.Code, e.Message
	}
	en.statusErr = se
}

// newConnection reports whether e tells of the board's port opening or
// closing since the entry's last event, or of its manager forgetting the
// state it read (the port reopened between two of its polls: maybe on
// another board). Reads before it are an earlier connection's.
func (en *entry) newConnection(e jigapi.Event) bool {
	if e.Kind == jigapi.EvtConnected || e.Kind == jigapi.EvtDisconnected {
		return true
	}
	return !en.lastSeen.IsZero() && (e.Summary.Connected != en.summary.Connected ||
		(e.Summary.State == "" && en.summary.State != ""))
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
