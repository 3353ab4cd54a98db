package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// defaultHeartbeat is assumed of a manager whose events do not say.
const defaultHeartbeat = 10 * time.Second

// staleAfter is how many heartbeats a followed manager may miss: then it
// is stale, and polled.
const staleAfter = 3

// staleAt is when a followed fixture turns stale without another event.
func (p pushState) staleAt() time.Time {
	return p.last.Add(staleAfter*p.every + time.Millisecond)
}

// onEvent updates the fixture's row from an event arrived at now, and
// returns the serials to read at once: the fixture's, when the event
// cannot tell its state (a board just connected, or not read yet).
func (w *watcher) onEvent(e jigapi.Event, now time.Time) []string {
	r := w.rows[e.Serial]
	if r == nil {
		return nil // FollowEvents binds the watched serials only
	}
	every := time.Duration(e.Summary.HeartbeatS * float64(time.Second))
	if every <= 0 {
		every = defaultHeartbeat
	}
	w.dirty = w.dirty || !r.push.on // the display's VIA column changes
	r.push = pushState{on: true, last: now, every: every}
	o, state := eventOutcome(e)
	if state == "" || e.Kind == jigapi.EvtConnected {
		if r.state != "" { // the holder now; the state when the read answers
			w.set(e.Serial, r.o, r.state, e.Summary.Holder, r.via, now)
		}
		return []string{e.Serial}
	}
	w.set(e.Serial, o, state, e.Summary.Holder, "event", now)
	return nil
}

// eventOutcome is an event as an outcome, and the state it tells: the
// board's as its manager last read it, serial_unavailable if the board is
// disconnected, or "" if it cannot tell (never read).
func eventOutcome(e jigapi.Event) (outcome, string) {
	o := outcome{Serial: e.Serial, Method: jigapi.EventSegment + "." + e.Kind, Outcome: "ok"}
	o.Result, _ = json.Marshal(e)
	if !e.Summary.Connected {
		o.Outcome = "error_reply"
		o.Error = &outcomeError{Code: jigapi.CodeSerialUnavailable,
			Message: fmt.Sprintf("the board is disconnected (%s event)", e.Kind)}
		return o, jigapi.CodeSerialUnavailable
	}
	return o, e.Summary.State
}

// sweep marks the followed fixtures whose events stopped as stale, and
// returns them: they are read at once, and polled from then on.
func (w *watcher) sweep(now time.Time) []string {
	var stale []string
	for _, s := range w.serials {
		r := w.rows[s]
		if !r.push.on || now.Before(r.push.staleAt()) {
			continue
		}
		r.push.on = false // set marks the display dirty
		silent := now.Sub(r.push.last).Round(time.Millisecond)
		o := outcome{Serial: s, Method: jigapi.EventSegment + "." + jigapi.EvtHeartbeat, Outcome: "stale",
			Error: &outcomeError{Message: fmt.Sprintf("no event for %v (%d heartbeats of %v): polling", silent,
				staleAfter, r.push.every)}}
		w.set(s, o, "stale", r.holder, "stale", now)
		stale = append(stale, s)
	}
	return stale
}
