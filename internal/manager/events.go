package manager

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// publisher is what the event loop publishes through (mqmanager.Server).
type publisher interface {
	PublishEvent(ctx context.Context, kind string, body []byte, ttl time.Duration) error
}

// events publishes the fixture's change events and heartbeats. Its state
// is what the status reads observed (observe) and what it polls: the
// port's connection and the lease holder.
type events struct {
	cfg     Events
	serial  string
	version string
	started time.Time
	dev     *jig.Device
	pub     publisher
	log     *slog.Logger
	// Holder is the fixture's lease holder, "" when unlocked (the lease
	// table's, handlers.holder); a change publishes jigapi.EvtHolder.
	Holder func() string

	mu   sync.Mutex
	sum  jigapi.Summary // state, identity, last read and read errors
	seq  uint64
	kick chan struct{} // a read was observed, or the broker link came up
	warn bool          // a failed publish was logged: quiet until one succeeds
	// stopping asks run to publish jigapi.EvtStopped, and is told when it
	// has (see stop).
	stopping chan chan struct{}
	// opens (under mu) is the port's reopens (jig.Stats.Reconnects) when
	// sum's state was read: summary leaves the state out once they differ.
	opens uint64
}

// stopWait bounds how long a stopping manager waits for its Stopped event
// to go out (a link that froze does not hold the stop).
const stopWait = time.Second

func newEvents(cfg Events, serial, version string, dev *jig.Device, log *slog.Logger) *events {
	return &events{cfg: cfg, serial: serial, version: version, started: time.Now(), dev: dev,
		log: log, Holder: func() string { return "" }, kick: make(chan struct{}, 1),
		stopping: make(chan chan struct{})}
}

// stop has run publish a Stopped event, and waits for it at most
// stopWait. It is the server's OnStop: the link is still up.
func (e *events) stop() {
	done := make(chan struct{})
	t := time.NewTimer(stopWait)
	defer t.Stop()
	select {
	case e.stopping <- done:
	case <-t.C:
		return
	}
	select {
	case <-done:
	case <-t.C:
	}
}

// poke asks the loop to look now; it never blocks.
func (e *events) poke() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// observe records a status read's outcome: its state, identity and time,
// or its error.
func (e *events) observe(st jig.Status, err error) {
	e.mu.Lock()
	if err != nil {
		e.sum.ReadErrors++
		e.sum.LastError, e.sum.LastErrorAt = err.Error(), time.Now()
	} else {
		e.sum.State, e.sum.Identity, e.sum.LastReadAt = st.State, st.Identity, st.ReadAt
		e.opens = st.Reconnects // the read's own connection, not the port's now
	}
	e.mu.Unlock()
	e.poke()
}

// summary is the manager's summary now. The state and identity read are
// left out once the port closed or was opened again since the read: they
// were a board's that is gone, maybe not the one plugged in now (the port
// may be reopened between two polls, so its opens tell, not a poll).
// LastReadAt stays, as the last good read's time.
func (e *events) summary() jigapi.Summary {
	e.mu.Lock()
	s, opens := e.sum, e.opens
	e.mu.Unlock()
	s.Version, s.StartedAt, s.HeartbeatS = e.version, e.started, e.cfg.Heartbeat.Seconds()
	s.Connected, s.Holder = e.dev.Connected(), e.Holder()
	if !s.Connected || e.dev.Stats().Reconnects != opens {
		s.State, s.Identity = "", ""
	}
	return s
}

// run publishes until ctx ends, or until the manager stops (stop): a
// heartbeat every cfg.Heartbeat and on each poke after the link came up,
// change events when a poll or a poke finds one, and Stopped last.
func (e *events) run(ctx context.Context, ready <-chan struct{}) {
	hb := time.NewTicker(e.cfg.Heartbeat)
	defer hb.Stop()
	poll := time.NewTicker(e.cfg.Poll)
	defer poll.Stop()
	prev := e.summary()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ready:
			prev = e.changes(ctx, prev)
			e.publish(ctx, jigapi.EvtHeartbeat, prev)
		case <-hb.C:
			prev = e.changes(ctx, prev)
			e.publish(ctx, jigapi.EvtHeartbeat, prev)
		case <-poll.C:
			prev = e.changes(ctx, prev)
		case <-e.kick:
			prev = e.changes(ctx, prev)
		case done := <-e.stopping: // the last event: a heartbeat after it would undo it
			pctx, cancel := context.WithTimeout(ctx, stopWait)
			e.publish(pctx, jigapi.EvtStopped, e.summary())
			cancel()
			close(done)
			return
		}
	}
}

// changes publishes an event for each way the summary now differs from
// prev, and returns it.
func (e *events) changes(ctx context.Context, prev jigapi.Summary) jigapi.Summary {
	cur := e.summary()
	if cur.Connected != prev.Connected {
		e.publish(ctx, map[bool]string{true: jigapi.EvtConnected, false: jigapi.EvtDisconnected}[cur.Connected], cur)
	}
	if cur.State != prev.State {
		e.publish(ctx, jigapi.EvtState, cur)
	}
	if cur.Holder != prev.Holder {
		e.publish(ctx, jigapi.EvtHolder, cur)
	}
	return cur
}

func (e *events) publish(ctx context.Context, kind string, s jigapi.Summary) {
	e.seq++
	body, _ := json.Marshal(jigapi.Event{Serial: e.serial, Kind: kind, Seq: e.seq, At: time.Now(), Summary: s})
	err := e.pub.PublishEvent(ctx, kind, body, e.cfg.TTL())
	switch {
	case err == nil:
		e.warn = false
	case errors.Is(err, mqmanager.ErrNotServing) || ctx.Err() != nil:
		e.log.Debug("event not sent", "kind", kind, "err", err)
	case !e.warn:
		e.warn = true
		e.log.Warn("event not sent (quiet until one is)", "kind", kind, "err", err)
	}
}

// readLoop, with cfg.ReadEvery set, reads the board's status through read
// whenever no read has been observed for that long, until ctx ends.
func (e *events) readLoop(ctx context.Context, read func(ctx context.Context)) {
	if e.cfg.ReadEvery <= 0 {
		return
	}
	t := time.NewTicker(e.cfg.ReadEvery / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		last := latest(e.sum.LastReadAt, e.sum.LastErrorAt, e.started)
		e.mu.Unlock()
		if time.Since(last) >= e.cfg.ReadEvery {
			rctx, cancel := context.WithTimeout(ctx, e.cfg.ReadEvery)
			read(rctx)
			cancel()
		}
	}
}

func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}

// holder is the lease's owner now, "" if none: the events' Holder.
func (h *handlers) holder() string {
	if hd := h.leases.Holder(); hd != nil {
		return hd.Owner
	}
	return ""
}
