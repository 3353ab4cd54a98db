package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// pollResult is what one poll (a round, or a read of a few fixtures at
// once) found.
type pollResult struct {
	outs  []outcome
	start time.Time
	round bool
}

// asker runs polls in goroutines of its own, which it counts in wg; each
// one's result goes to out, or is dropped when ctx ends.
type asker struct {
	ctx context.Context
	g   *globals
	c   *mqmanager.Client
	wg  *sync.WaitGroup
	out chan pollResult
}

// ask polls serials' JigStatus at once, each bounded by --timeout.
func (a *asker) ask(serials []string, round bool) {
	start := time.Now()
	a.wg.Go(func() {
		outs := askAll(a.g, a.ctx, a.c, serials, jigapi.JigStatus, jigapi.NoArgs{})
		select {
		case a.out <- pollResult{outs: outs, start: start, round: round}:
		case <-a.ctx.Done():
		}
	})
}

// run follows the events and polls round after round until ctx ends or
// count rounds are done; it returns once every goroutine it started has.
func (w *watcher) run(ctx context.Context, c *mqmanager.Client, count int) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	evs, downs := w.follow(ctx, &wg)
	a := &asker{ctx: ctx, g: w.g, c: c, wg: &wg, out: make(chan pollResult)}
	a.ask(w.serials, true)
	var next <-chan time.Time // the next round's start; nil while one runs
	for {
		select {
		case <-ctx.Done():
			return nil
		case e := <-evs:
			w.readNow(a, w.onEvent(e, time.Now()))
		case err := <-downs:
			w.readNow(a, w.linkLost(err, time.Now()))
		case p := <-a.out:
			if ctx.Err() != nil {
				return nil // Ctrl-C: the poll's outcomes are the cancellation's
			}
			w.update(p, time.Now())
			if p.round {
				w.round, w.dirty = w.round+1, true
				if count != 0 && w.round >= count {
					return w.print()
				}
				next = time.After(time.Until(p.start.Add(w.interval)))
			}
		case <-next:
			next = nil
			a.ask(w.polled(), true)
		case <-w.staleAt():
			w.readNow(a, w.sweep(time.Now()))
		}
		if err := w.print(); err != nil {
			return err
		}
	}
}

// readNow polls serials at once, if any.
func (w *watcher) readNow(a *asker, serials []string) {
	if len(serials) > 0 {
		a.ask(serials, false)
	}
}

// follow follows the watched fixtures' events in a goroutine counted in
// wg, until ctx ends, and waits (at most --timeout) until it listens. If
// it cannot (the broker user may not bind), it warns on stderr, retries
// meanwhile, and every fixture is polled.
func (w *watcher) follow(ctx context.Context, wg *sync.WaitGroup) (<-chan jigapi.Event, <-chan error) {
	evs, downs := make(chan jigapi.Event, 64), make(chan error, 1)
	ready := make(chan struct{}, 1)
	broker, _ := w.g.tls.broker(w.g.url) // checked by check
	log := warnLogger(w.g.stderr)
	cfg := mqmanager.FollowConfig{Broker: broker, Serials: w.serials, CheckUser: w.g.checkReplyUser,
		UserFormat: w.g.format, Logger: log.With("component", "events"),
		OnReady: func() {
			select {
			case ready <- struct{}{}:
			default:
			}
		},
		OnDown: func(err error) {
			select {
			case downs <- err: // one pending is enough: the rows are marked once
			default:
			}
		}}
	wg.Go(func() {
		err := mqmanager.FollowEvents(ctx, cfg, func(e jigapi.Event) {
			select {
			case evs <- e:
			case <-ctx.Done():
			}
		})
		if err != nil {
			log.Warn("cannot follow events: polling only", "err", err)
		}
	})
	select {
	case <-ready:
	case <-ctx.Done():
	case <-time.After(w.g.timeout):
	}
	return evs, downs
}

// polled are the fixtures whose events do not arrive.
func (w *watcher) polled() []string {
	var out []string
	for _, s := range w.serials {
		if !w.rows[s].push.on {
			out = append(out, s)
		}
	}
	return out
}

// staleAt fires when the first followed fixture turns stale; nil if none
// is followed.
func (w *watcher) staleAt() <-chan time.Time {
	var first time.Time
	for _, r := range w.rows {
		if d := r.push.staleAt(); r.push.on && (first.IsZero() || d.Before(first)) {
			first = d
		}
	}
	if first.IsZero() {
		return nil
	}
	return time.After(time.Until(first))
}

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
	every := e.Summary.Every()
	w.dirty = w.dirty || !r.push.on // the display's VIA column changes
	// After a Stopped, it is polled from the next round, to see what serves
	// it next (not at once: its queue may outlive the event, unconsumed).
	r.push = pushState{on: e.Kind != jigapi.EvtStopped, last: now, every: every}
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

// outcomeStopped is watch's outcome, and state, of a fixture whose manager
// said it stopped.
const outcomeStopped = "stopped"

// eventOutcome is an event as an outcome, and the state it tells: stopped
// for a Stopped event, the board's as its manager last read it,
// serial_unavailable if the board is disconnected, or "" if it cannot tell
// (never read).
func eventOutcome(e jigapi.Event) (outcome, string) {
	o := outcome{Serial: e.Serial, Method: jigapi.EventSegment + "." + e.Kind, Outcome: "ok"}
	o.Result, _ = json.Marshal(e)
	if e.Kind == jigapi.EvtStopped {
		o.Outcome, o.Error = outcomeStopped, &outcomeError{Message: "its manager stopped (Stopped event)"}
		return o, outcomeStopped
	}
	if !e.Summary.Connected {
		o.Outcome = "error_reply"
		o.Error = &outcomeError{Code: jigapi.CodeSerialUnavailable,
			Message: fmt.Sprintf("the board is disconnected (%s event)", e.Kind)}
		return o, jigapi.CodeSerialUnavailable
	}
	return o, e.Summary.State
}

// linkLost marks the fixtures followed by events as broker unreachable,
// as of now, when watch's event link is lost (err): their events are no
// longer seen, so the states they showed are no longer known. It returns
// them: read at once, and polled until their events come back.
func (w *watcher) linkLost(err error, now time.Time) []string {
	var lost []string
	for _, s := range w.serials {
		r := w.rows[s]
		if !r.push.on {
			continue
		}
		r.push.on = false
		o := outcome{Serial: s, Method: jigapi.EventSegment, Outcome: "broker_unreachable",
			Error: &outcomeError{Message: fmt.Sprintf("the event link to the broker is lost (%v): polling", err)}}
		w.set(s, o, "broker_unreachable", r.holder, "lost", now)
		lost = append(lost, s)
	}
	return lost
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
