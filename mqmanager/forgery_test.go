package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestForgedRequestsRejected: JIG-A's manager, told its controller user,
// drops unanswered the requests of anyone else: JIG-B's user publishing
// straight into its queue through the default exchange, with or without a
// user_id; a controller it was not told of; its own controller's
// connection publishing without a user_id. Each is counted, and the next
// genuine request is answered.
func TestForgedRequestsRejected(t *testing.T) {
	f := getFloor(t)
	srv := f.serve(t, serialA, FixtureUser(serialA), []string{ctlUser}, nil)
	// The controller's reply queue, which the forgers point their replies at.
	watch, err := f.conn(t, ctlUser).Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := watch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	forged := []struct{ user, exchange, key, userID string }{
		{FixtureUser(serialB), "", QueueName(serialA), FixtureUser(serialB)},
		{FixtureUser(serialB), "", QueueName(serialA), ""},
		{otherCtl, Exchange, RoutingKey(serialA, "Echo"), otherCtl},
		{ctlUser, Exchange, RoutingKey(serialA, "Echo"), ""},
	}
	for i, fg := range forged {
		// Confirmed, so each is in the queue before the genuine request.
		err := f.confirmed(t, fg.user).publish(fg.exchange, fg.key, amqp.Publishing{
			ContentType: ContentType, CorrelationId: fmt.Sprint("forged-", i), ReplyTo: q.Name,
			UserId: fg.userID, Body: []byte(`{"text":"forged"}`)})
		if err != nil {
			t.Fatalf("forged request %d as %s: %v", i, fg.user, err)
		}
	}
	c := f.client(t, ctlUser, ReplyPerRequest, true)
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), serialA, "Echo", echoArgs{Text: "genuine"}); err != nil {
		t.Fatal(err)
	}
	// One queue delivers in order: the forged requests were judged first.
	if st := srv.Stats(); st.Rejected != uint64(len(forged)) || st.Dropped != 0 {
		t.Fatalf("rejected %d, dropped %d; want %d rejected", st.Rejected, st.Dropped, len(forged))
	}
	srv.stop(t) // waits for its handlers: whatever it ran has replied
	if n := srv.Stats().Methods["Echo"].Requests; n != 1 {
		t.Fatalf("Echo ran %d times, want once (the genuine request)", n)
	}
	if n, err := watch.QueueDeclarePassive(q.Name, false, true, true, false, nil); err != nil || n.Messages != 0 {
		t.Fatalf("the forgers' reply queue holds %d replies (%v), want none", n.Messages, err)
	}
}

const forgedBody = `{"ok":true,"serial":"JIG-A","method":"Forge","result":"forged","elapsed_ms":1}`

// forger publishes, as JIG-B's user, two forged replies to a request it has
// learnt of (as every fixture learns of broadcasts): one with its own
// user_id, one without. They are confirmed before it returns, so they reach
// the reply queue before the genuine reply.
func forger(t *testing.T, f *secFloor) func(r *Request) {
	pub := f.confirmed(t, FixtureUser(serialB))
	return func(r *Request) {
		for _, userID := range []string{FixtureUser(serialB), ""} {
			err := pub.publish("", r.ReplyTo, amqp.Publishing{ContentType: ContentType,
				CorrelationId: r.CorrelationID, UserId: userID, Body: []byte(forgedBody)})
			if err != nil {
				t.Errorf("forged reply to %s as %s: %v", r.ReplyTo, FixtureUser(serialB), err)
			}
		}
	}
}

// TestForgedReplyDiscarded: in every reply mode, forged replies with the
// request's correlation id reach the controller's reply path (direct
// reply-to's included: its name is in the request, and any connection may
// publish to it). Unchecked, the forgery is taken; checked, it is
// discarded and the caller gets the genuine reply, or its timeout when
// there is none.
func TestForgedReplyDiscarded(t *testing.T) {
	f := getFloor(t)
	forge := forger(t, f)
	release := make(chan struct{})
	defer close(release)
	f.serve(t, serialA, FixtureUser(serialA), []string{ctlUser}, func(s *Server) {
		s.Handle("Forge", HandlerFunc(func(_ context.Context, r *Request) (any, error) {
			forge(r)
			return "genuine", nil
		}))
		// The forgery and no genuine reply before the caller's deadline.
		s.Handle("ForgeOnly", HandlerFunc(func(_ context.Context, r *Request) (any, error) {
			forge(r)
			<-release
			return nil, errors.New("released")
		}))
	})
	for _, mode := range allModes {
		r, err := f.client(t, ctlUser, mode, false).Request(ctxTimeout(t, 5*time.Second), serialA, "Forge", nil)
		if err != nil || string(r.Result) != `"forged"` {
			t.Fatalf("%v, unchecked: got %v (%v), want the forgery taken (the attack this check stops)", mode, r, err)
		}
		c := f.client(t, ctlUser, mode, true)
		r, err = c.Request(ctxTimeout(t, 5*time.Second), serialA, "Forge", nil)
		if err != nil || string(r.Result) != `"genuine"` {
			t.Fatalf("%v, checked: got %v (%v), want the genuine reply", mode, r, err)
		}
		if c.Rejected() != 2 {
			t.Fatalf("%v: rejected %d replies, want the 2 forged", mode, c.Rejected())
		}
		_, err = c.Request(ctxTimeout(t, time.Second), serialA, "ForgeOnly", nil)
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("%v, checked, no genuine reply: got %v, want a timeout", mode, err)
		}
		testutil.WaitFor(t, "the second forgery rejected", 5*time.Second, func() bool { return c.Rejected() == 4 })
	}
}

// TestForgedBroadcastReply: every fixture receives broadcasts, so JIG-B's
// user can answer a fleet discovery in JIG-A's name, or in that of a
// fixture that does not exist. Checked, each reply must come from the user
// of the serial it names: JIG-B's own answer counts, its forgeries do not.
func TestForgedBroadcastReply(t *testing.T) {
	f := getFloor(t)
	f.serve(t, serialA, FixtureUser(serialA), []string{ctlUser}, nil)
	rogueFixture(t, f)
	for _, mode := range allModes {
		for _, check := range []bool{false, true} {
			c := f.client(t, ctlUser, mode, check)
			seen := map[string]int{}
			err := c.Broadcast(ctxTimeout(t, 2*time.Second), "WhoAmI", nil, func(r *Reply, err error) bool {
				if err == nil {
					seen[r.Serial]++
				}
				return true
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{serialA: 1, serialB: 1}
			if !check {
				want = map[string]int{serialA: 2, serialB: 1, "JIG-X": 1}
			}
			if fmt.Sprint(seen) != fmt.Sprint(want) || (check && c.Rejected() != 2) {
				t.Fatalf("%v, check %t: replies %v, rejected %d; want %v", mode, check, seen, c.Rejected(), want)
			}
		}
	}
}

// rogueFixture consumes JIG-B's queue, bound to the broadcast keys as its
// user may, and answers each request three times as JIG-B's user: as
// itself, as JIG-A, and as JIG-X.
func rogueFixture(t *testing.T, f *secFloor) {
	ch, err := f.conn(t, FixtureUser(serialB)).Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue, err := declareServer(ch, serialB)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(queue, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for d := range msgs {
			for _, serial := range []string{serialB, serialA, "JIG-X"} {
				body := encodeReply(serial, "WhoAmI", "rogue", nil, time.Millisecond)
				ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{ContentType: ContentType,
					CorrelationId: d.CorrelationId, UserId: FixtureUser(serialB), Body: body})
			}
		}
	}()
}
