package mqmanager

import (
	"errors"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestFixtureUserCannotBind: with JIG-A's credentials nothing but JIG-A's
// own keys can be bound; the broker refuses, and a manager started with the
// wrong serial or a narrowed user says so clearly instead of retrying.
func TestFixtureUserCannotBind(t *testing.T) {
	f := getFloor(t)
	conn := f.conn(t, FixtureUser(serialA))
	queue := QueueName(serialA)
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, false, true, true, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{serialB + ".Req.*", serialB + ".Req.JigStatus", "#", "*.Req.*", "*.*.*"} {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		err = ch.QueueBind(queue, key, Exchange, false, nil)
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != amqp.AccessRefused || !strings.Contains(ae.Reason, key) {
			t.Errorf("bind %q as %s: want ACCESS_REFUSED naming the key, got %v", key, FixtureUser(serialA), err)
		}
	}

	err = runUntilError(t, f.url(FixtureUser(serialA)), serialB)
	wantRefused(t, err, "declare jig.JIG-B", "'jig-JIG-A'", "may declare only its own queue")
	err = runUntilError(t, f.url(FixtureUser(serialC)), serialC)
	wantRefused(t, err, `bind jig.JIG-C to amq.topic with "_all.Req.*"`, "'jig-JIG-C'", "may bind only")
}

// runUntilError runs a manager that must fail to start, and returns Run's
// error.
func runUntilError(t *testing.T, url, serial string) error {
	t.Helper()
	s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{url}}, Serial: serial})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(ctxTimeout(t, 20*time.Second))
	t.Logf("manager %s reports: %v", serial, err)
	return err
}

func wantRefused(t *testing.T, err error, says ...string) {
	t.Helper()
	if !errors.Is(err, ErrAccessRefused) {
		t.Fatalf("want ErrAccessRefused, got %v", err)
	}
	for _, s := range append(says, "access refused by the broker") {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q:\n%v", s, err)
		}
	}
}

// TestFixtureServesOwnKeys: JIG-A's manager, as JIG-A's user, serves its
// own and the broadcast keys to the controller, whose user it is told, and
// whose reply-user check its replies pass.
func TestFixtureServesOwnKeys(t *testing.T) {
	f := getFloor(t)
	f.serve(t, serialA, FixtureUser(serialA), []string{ctlUser}, nil)
	for _, mode := range allModes {
		c := f.client(t, ctlUser, mode, true)
		r, err := c.Request(ctxTimeout(t, 5*time.Second), serialA, "WhoAmI", nil)
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		if string(r.Result) != `"line-ctl"` {
			t.Fatalf("%v: the manager saw user_id %s, want line-ctl", mode, r.Result)
		}
		seen := map[string]int{}
		err = c.Broadcast(ctxTimeout(t, time.Second), "WhoAmI", nil, func(r *Reply, err error) bool {
			if err != nil {
				t.Errorf("%v: broadcast: %v", mode, err)
			} else {
				seen[r.Serial]++
			}
			return true
		})
		if err != nil || len(seen) != 1 || seen[serialA] != 1 {
			t.Fatalf("%v: broadcast replies %v (%v), want one from %s", mode, seen, err, serialA)
		}
		if c.Rejected() != 0 {
			t.Fatalf("%v: %d genuine replies rejected", mode, c.Rejected())
		}
	}
}

// TestUserIDIsTheSender: the broker refuses a user_id that is not the
// sender's own, and a fixture user cannot publish requests on amq.topic.
func TestUserIDIsTheSender(t *testing.T) {
	f := getFloor(t)
	cases := []struct {
		name, exchange, key, userID string
		code                        int
	}{
		{"JIG-B claiming to be JIG-A", "", "amq.gen-nowhere", FixtureUser(serialA), amqp.PreconditionFailed},
		{"JIG-B claiming to be the controller", "", "amq.gen-nowhere", ctlUser, amqp.PreconditionFailed},
		{"JIG-B publishing a request", Exchange, RoutingKey(serialA, "Echo"), FixtureUser(serialB), amqp.AccessRefused},
	}
	for _, tc := range cases {
		pub := f.confirmed(t, FixtureUser(serialB))
		err := pub.publish(tc.exchange, tc.key, amqp.Publishing{UserId: tc.userID, Body: []byte("{}")})
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != tc.code {
			t.Errorf("%s: want broker error %d, got %v", tc.name, tc.code, err)
		}
	}
}

// TestUnconfiguredAcceptsAny: the demo's setup, one guest user, no user
// configured anywhere. The manager serves a request without user_id and
// signs its reply as guest (the URL's user); a client that does not check
// takes it; a client that checks expects jig-<serial> and times out.
func TestUnconfiguredAcceptsAny(t *testing.T) {
	f := getFloor(t)
	const serial = "DEV-1"
	srv := f.serve(t, serial, "guest", nil, nil)
	ch, err := f.conn(t, "guest").Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = ch.Publish(Exchange, RoutingKey(serial, "WhoAmI"), false, false,
		amqp.Publishing{ReplyTo: q.Name, CorrelationId: "no-user", Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-msgs:
		r, err := decodeReply(serial, "WhoAmI", d.Body)
		if err != nil || string(r.Result) != `""` || d.UserId != "guest" {
			t.Fatalf("reply %v (%v) as %q; want the request served, user_id guest", r, err, d.UserId)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request without user_id was not answered")
	}
	for _, mode := range allModes {
		r, err := f.client(t, "guest", mode, false).Request(ctxTimeout(t, 5*time.Second), serial, "WhoAmI", nil)
		if err != nil || string(r.Result) != `"guest"` {
			t.Fatalf("%v: %v (%v), want the manager to see user_id guest", mode, r, err)
		}
	}
	c := f.client(t, "guest", ReplyShared, true)
	if _, err := c.Request(ctxTimeout(t, time.Second), serial, "WhoAmI", nil); !errors.Is(err, ErrTimeout) || c.Rejected() != 1 {
		t.Fatalf("checking client: %v, rejected %d; want the guest's reply rejected and a timeout", err, c.Rejected())
	}
	if n := srv.Stats().Rejected; n != 0 {
		t.Fatalf("unconfigured manager rejected %d requests", n)
	}
}

// TestLoginRefused: a manager whose password the broker refuses (e.g. not
// yet updated after add-fixture.sh rotated it) stops and says so, instead
// of retrying forever; a client reports the broker unreachable, saying why.
func TestLoginRefused(t *testing.T) {
	f := getFloor(t)
	url := f.node.URL(FixtureUser(serialA), "not-the-password")
	err := runUntilError(t, url, serialA)
	if !errors.Is(err, ErrBrokerUnreachable) || !isAccessRefused(err) || !strings.Contains(err.Error(), "login refused") ||
		strings.Contains(err.Error(), "not-the-password") {
		t.Fatalf("manager: %v; want the refused login, without the password", err)
	}
	_, err = Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{url}}})
	if !errors.Is(err, ErrBrokerUnreachable) || !strings.Contains(err.Error(), "login refused") {
		t.Fatalf("client: %v", err)
	}
}
