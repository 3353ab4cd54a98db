package manager

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

// follow follows serial's events on the test broker until the test ends;
// it returns once the follower's queue is bound.
func follow(t *testing.T, serial string) <-chan jigapi.Event {
	t.Helper()
	out := make(chan jigapi.Event, 256)
	ready := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		err := mqmanager.FollowEvents(ctx, mqmanager.FollowConfig{
			Broker: mqmanager.Broker{URLs: []string{testURL()}}, Serials: []string{serial},
			OnReady: func() { ready <- struct{}{} },
		}, func(e jigapi.Event) {
			select {
			case out <- e:
			default:
				t.Errorf("event channel full: %+v", e)
			}
		})
		if err != nil {
			t.Errorf("FollowEvents: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("follower not ready within 10s")
	}
	return out
}

// awaitEvent waits up to 5 s for an event of kind (any: ""), skipping others, and
// checks its key fields.
func awaitEvent(t *testing.T, evs <-chan jigapi.Event, serial, kind string) jigapi.Event {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-evs:
			if e.Serial != serial {
				t.Fatalf("event for %s on %s's follower", e.Serial, serial)
			}
			if kind == "" || e.Kind == kind {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event from %s within 5s", kind, serial)
		}
	}
}

func withEvents(c *Config) {
	c.Events.Heartbeat, c.Events.Poll = 200*time.Millisecond, 20*time.Millisecond
}

// TestEventsFollowTheBoard: a heartbeat with the summary at once, a State
// event when a read finds a new state, Disconnected when the board is
// unplugged (the unplugged board's state and identity forgotten),
// Connected when another board is plugged in, with nothing read from it
// yet; sequence numbers increase.
func TestEventsFollowTheBoard(t *testing.T) {
	f := startFixture(t, withEvents)
	evs := follow(t, f.serial)
	hb := awaitEvent(t, evs, f.serial, jigapi.EvtHeartbeat)
	if !hb.Summary.Connected || hb.Summary.Version != "test" || hb.Summary.HeartbeatS != 0.2 {
		t.Fatalf("heartbeat summary %+v", hb.Summary)
	}
	f.board.SetState("BUSY")
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	st := awaitEvent(t, evs, f.serial, jigapi.EvtState)
	if st.Summary.State != "BUSY" || st.Summary.LastReadAt.IsZero() || st.Seq <= hb.Seq {
		t.Fatalf("state event %+v after heartbeat seq %d", st, hb.Seq)
	}
	f.board.Close()
	if e := awaitEvent(t, evs, f.serial, jigapi.EvtDisconnected); e.Summary.Connected || e.Summary.State != "" {
		t.Fatalf("Disconnected event says connected, or keeps the unplugged board's state: %+v", e)
	}
	b, err := sim.Start(f.link, sim.Config{Identity: "OTHER-BOARD,9.9", State: "FAULT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	// Nothing has read the new board: its Connected event must not carry
	// the old one's state or identity as if they were its.
	if e := awaitEvent(t, evs, f.serial, jigapi.EvtConnected); !e.Summary.Connected || e.Summary.State != "" || e.Summary.Identity != "" {
		t.Fatalf("Connected event says disconnected, or carries the old board's read: %+v", e)
	}
}

// TestEventsForgetAReplacedBoard: a board swapped for another at once,
// faster than the manager polls its port (no Disconnected event need
// come): the events stop carrying the first board's state and identity,
// and carry the second's once it is read.
func TestEventsForgetAReplacedBoard(t *testing.T) {
	f := startFixture(t, withEvents)
	evs := follow(t, f.serial)
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	awaitSummary(t, evs, f.serial, func(s jigapi.Summary) bool { return s.State != "" })
	f.board.Close()
	b, err := sim.Start(f.link, sim.Config{Identity: "OTHER-BOARD,9.9", State: "FAULT"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	awaitSummary(t, evs, f.serial, func(s jigapi.Summary) bool { return s.State == "" && s.Identity == "" })
	st, err := f.status(t)
	if err != nil || st.Identity != "OTHER-BOARD,9.9" {
		t.Fatalf("the second board's status: %+v %v", st, err)
	}
	awaitSummary(t, evs, f.serial, func(s jigapi.Summary) bool { return s.State == "FAULT" && s.Identity == "OTHER-BOARD,9.9" })
}

// awaitSummary waits up to 5 s for an event whose summary satisfies ok.
func awaitSummary(t *testing.T, evs <-chan jigapi.Event, serial string, ok func(jigapi.Summary) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e := awaitEvent(t, evs, serial, ""); !ok(e.Summary); e = awaitEvent(t, evs, serial, "") {
		if time.Now().After(deadline) {
			t.Fatalf("no such event from %s within 5s; the last: %+v", serial, e)
		}
	}
}

// TestEventsReadEvery: with events.read_every the manager reads its board
// itself, and the state shows in a State event without anyone asking.
func TestEventsReadEvery(t *testing.T) {
	f := startFixture(t, func(c *Config) { withEvents(c); c.Events.ReadEvery = 200 * time.Millisecond })
	evs := follow(t, f.serial)
	awaitEvent(t, evs, f.serial, jigapi.EvtHeartbeat)
	f.board.SetState("TESTING")
	for {
		if e := awaitEvent(t, evs, f.serial, jigapi.EvtState); e.Summary.State == "TESTING" {
			return
		}
	}
}

func TestEventsConfigValidate(t *testing.T) {
	for _, e := range []Events{{Heartbeat: time.Millisecond, Poll: time.Millisecond},
		{Heartbeat: time.Second, Poll: 2 * time.Second}, {Heartbeat: time.Second, Poll: 50 * time.Millisecond, ReadEvery: time.Millisecond}} {
		if e.Validate() == nil {
			t.Errorf("%+v: no error", e)
		}
	}
	if err := DefaultEvents().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestEventsHolder: taking the lease publishes a Holder event naming its
// owner, and releasing it one with no holder.
func TestEventsHolder(t *testing.T) {
	f := startFixture(t, withEvents)
	evs := follow(t, f.serial)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := mqmanager.Call(ctx, f.client, f.serial, jigapi.Lock, jigapi.LockArgs{Owner: "station-7", TTLS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if e := awaitEvent(t, evs, f.serial, jigapi.EvtHolder); e.Summary.Holder != "station-7" {
		t.Fatalf("holder %q, want station-7", e.Summary.Holder)
	}
	if _, err := mqmanager.Call(ctx, f.client, f.serial, jigapi.Unlock, jigapi.TokenArgs{Token: l.Token}); err != nil {
		t.Fatal(err)
	}
	if e := awaitEvent(t, evs, f.serial, jigapi.EvtHolder); e.Summary.Holder != "" {
		t.Fatalf("holder %q after unlock, want none", e.Summary.Holder)
	}
}

// TestCallerDeadlineIsNoReadError: a status request whose deadline passes
// while the board is still being read says nothing of the board: the
// summary that events and the dashboard show counts no read error for it
// (it counted one, with "context deadline exceeded", for a healthy board).
func TestCallerDeadlineIsNoReadError(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Fixture.QueryTimeout = 5 * time.Second })
	f.board.SetFault(sim.FaultSilent) // the read outlasts the request
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := f.client.Status(ctx, f.serial); err == nil {
		t.Fatal("a status read of a silent board answered")
	}
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for { // until the handler has returned: the manager counts the request
		st, err := f.client.Stats(wait, f.serial)
		if err != nil {
			t.Fatal(err)
		}
		if st.Server.Expired+st.Server.Methods[jigapi.JigStatus.Name()].Requests > 0 {
			break
		}
		select {
		case <-tick.C:
		case <-wait.Done():
			t.Fatal("the status request was never counted")
		}
	}
	if s := f.daemon.ev.summary(); s.ReadErrors != 0 || s.LastError != "" {
		t.Fatalf("summary counts the caller's deadline as a read error: %d, %q", s.ReadErrors, s.LastError)
	}
}

// TestEventsStoppedOnACleanStop: a manager that is stopped (its context
// ended, as on SIGTERM) says so with a Stopped event before it goes, so
// that followers need not wait three heartbeats to call it stale; and
// Stopped is its last event, though heartbeats fall due while it finishes
// a request in flight.
func TestEventsStoppedOnACleanStop(t *testing.T) {
	f := startFixture(t, func(c *Config) { withEvents(c); c.Fixture.QueryTimeout = time.Second })
	evs := follow(t, f.serial)
	awaitEvent(t, evs, f.serial, jigapi.EvtHeartbeat)
	f.board.SetFault(sim.FaultSilent) // a read in flight for a second: five heartbeats' time
	asked := f.board.Queries()
	go f.client.Status(context.Background(), f.serial)
	for f.board.Queries() == asked {
		select {
		case <-time.After(5 * time.Millisecond): // until the read is on the line
		case <-t.Context().Done():
			return
		}
	}
	f.stop() // returns once the manager has finished: its events are all routed
	ch := testutil.RawChannel(t, testURL())
	marker := jigapi.Event{Serial: f.serial, Kind: jigapi.EvtHeartbeat, Seq: 1 << 40}
	body, _ := json.Marshal(marker)
	if err := ch.Publish(mqmanager.Exchange, jigapi.EventKey(f.serial, jigapi.EvtHeartbeat), false, false,
		amqp.Publishing{ContentType: mqmanager.ContentType, Body: body}); err != nil {
		t.Fatal(err)
	}
	var last jigapi.Event
	for {
		e := awaitEvent(t, evs, f.serial, "")
		if e.Seq == marker.Seq {
			break
		}
		last = e
	}
	if last.Kind != jigapi.EvtStopped || last.Summary.Version == "" {
		t.Fatalf("the manager's last event %+v, want Stopped", last)
	}
}
