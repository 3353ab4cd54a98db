package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// followAs follows serials' events as user on the floor, with the
// user_id check on, until the test ends.
func (f *secFloor) followAs(t *testing.T, user string, serials ...string) <-chan jigapi.Event {
	t.Helper()
	out := make(chan jigapi.Event, 64)
	ready := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		err := FollowEvents(ctx, FollowConfig{Broker: Broker{URLs: []string{f.url(user)}}, Serials: serials,
			CheckUser: true, OnReady: func() { notifyNB(ready) }, Logger: testutil.Logger(t)}, func(e jigapi.Event) { out <- e })
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

func eventBody(serial string, seq uint64) []byte {
	b, _ := json.Marshal(jigapi.Event{Serial: serial, Kind: jigapi.EvtHeartbeat, Seq: seq, At: time.Now()})
	return b
}

func nextEvent(t *testing.T, evs <-chan jigapi.Event) jigapi.Event {
	t.Helper()
	select {
	case e := <-evs:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
		return jigapi.Event{}
	}
}

// TestFloorEvents: on a floor provisioned by deploy/rabbitmq's scripts, a
// manager publishes its own events and a controller follows them; the
// fixture's user is refused another fixture's events (the broker closes
// the channel: 403), so the follower of JIG-B only ever sees JIG-B's own;
// a controller may not publish events; and a refused event does not stop
// the manager's next one.
func TestFloorEvents(t *testing.T) {
	f := getFloor(t)
	evs := f.followAs(t, ctlUser, serialA, serialB)
	a := f.serve(t, serialA, FixtureUser(serialA), nil, nil)
	ctx := ctxTimeout(t, 10*time.Second)
	if err := a.PublishEvent(ctx, jigapi.EvtHeartbeat, eventBody(serialA, 1), time.Minute); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, evs); e.Serial != serialA || e.Seq != 1 {
		t.Fatalf("got %+v, want JIG-A's heartbeat 1", e)
	}
	forger := f.confirmed(t, FixtureUser(serialA))
	err := forger.publish(Exchange, jigapi.EventKey(serialB, jigapi.EvtHeartbeat),
		amqp.Publishing{UserId: FixtureUser(serialA), Body: eventBody(serialB, 666)})
	want403(t, "JIG-A's user publishing JIG-B's event", err)
	ctlPub := f.confirmed(t, ctlUser)
	err = ctlPub.publish(Exchange, jigapi.EventKey(serialB, jigapi.EvtHeartbeat),
		amqp.Publishing{UserId: ctlUser, Body: eventBody(serialB, 667)})
	want403(t, "a controller publishing an event", err)

	// A kind the permissions refuse ("x.y" makes a four-part key) closes
	// the event channel; the next event goes out on a new one, and the
	// requests were never disturbed.
	if err := a.PublishEvent(ctx, "x.y", eventBody(serialA, 2), time.Minute); err != nil {
		t.Fatal(err)
	}
	b := f.serve(t, serialB, FixtureUser(serialB), nil, nil)
	if err := b.PublishEvent(ctx, jigapi.EvtHeartbeat, eventBody(serialB, 1), time.Minute); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, evs); e.Serial != serialB || e.Seq != 1 {
		t.Fatalf("got %+v, want JIG-B's own heartbeat 1", e)
	}
	publishUntilSeen(t, a, evs)
	c := f.client(t, ctlUser, ReplyDirect, true)
	if _, err := c.Request(ctx, serialA, "WhoAmI", nil); err != nil {
		t.Fatalf("JIG-A's requests after a refused event: %v", err)
	}
}

// publishUntilSeen publishes JIG-A's heartbeat 3 until the follower sees
// it: the first attempt may meet the channel the broker is closing.
func publishUntilSeen(t *testing.T, a *runningServer, evs <-chan jigapi.Event) {
	t.Helper()
	ctx := ctxTimeout(t, 10*time.Second)
	for attempt := 0; attempt < 3; attempt++ {
		if err := a.PublishEvent(ctx, jigapi.EvtHeartbeat, eventBody(serialA, 3), time.Minute); err != nil {
			t.Logf("attempt %d: %v", attempt, err)
			continue
		}
		select {
		case e := <-evs:
			if e.Serial != serialA || e.Seq != 3 {
				t.Fatalf("got %+v, want JIG-A's heartbeat 3", e)
			}
			return
		case <-time.After(2 * time.Second):
		}
	}
	t.Fatal("JIG-A's events did not recover after a refused one")
}

func want403(t *testing.T, what string, err error) {
	t.Helper()
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.AccessRefused {
		t.Fatalf("%s: want 403 ACCESS_REFUSED, got %v", what, err)
	}
}
