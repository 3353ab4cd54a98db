package mqmanager

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

func TestReplyUserFormat(t *testing.T) {
	for format, want := range map[string]string{"jig-%s": "jig-JIG-1", "%s": "JIG-1", "%s@floor": "JIG-1@floor"} {
		f, err := ReplyUserFormat(format)
		if err != nil || f("JIG-1") != want {
			t.Errorf("%q: got %v, want %s", format, err, want)
		}
	}
	for _, bad := range []string{"", "jig", "jig-%d", "%s-%s", "%s%%", "100%-%s"} {
		if _, err := ReplyUserFormat(bad); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestPublishUsers: the user_id of publishes is the login user; a
// configured user that contradicts it is refused before any connection.
func TestPublishUsers(t *testing.T) {
	cases := []struct {
		name string
		b    Broker
		want string
	}{
		{"URL's user", Broker{URLs: []string{"amqp://jig-JIG-1:pw@h/"}}, "jig-JIG-1"},
		{"no user in the URL is guest", Broker{URLs: []string{"amqp://h/"}}, "guest"},
		{"user given and in the URL", Broker{URLs: []string{"amqp://ctl:pw@h/"}, User: "ctl"}, "ctl"},
		{"certificate login, user given", Broker{URLs: []string{"amqps://h/"}, External: true, User: "CN=jig-JIG-1"}, "CN=jig-JIG-1"},
		{"certificate login, user unknown", Broker{URLs: []string{"amqps://h/"}, External: true}, ""},
		{"EXTERNAL in the URL", Broker{URLs: []string{"amqps://x@h/?auth_mechanism=external"}, User: "jig-JIG-1"}, "jig-JIG-1"},
	}
	for _, tc := range cases {
		users, err := tc.b.publishUsers()
		if err != nil || users[tc.b.URLs[0]] != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.name, users[tc.b.URLs[0]], err, tc.want)
		}
	}
	bad := Broker{URLs: []string{"amqp://jig-JIG-1:s3cret@h/"}, User: "jig-JIG-2"}
	if err := bad.CheckUser(); err == nil || !strings.Contains(err.Error(), "would refuse") ||
		strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("contradicting user: %v", err)
	}
	if _, err := NewServer(ServerConfig{Broker: bad, Serial: "JIG-1"}); err == nil {
		t.Fatal("NewServer accepted a user that contradicts its URL")
	}
	if _, err := Dial(t.Context(), ClientConfig{Broker: bad}); err == nil || errors.Is(err, ErrBrokerUnreachable) {
		t.Fatalf("Dial: %v, want the contradiction reported before connecting", err)
	}
}

// TestCheckBeforeBuffer: a forged reply is judged on the reader, so it does
// not take the place of the genuine reply in a request's one-reply buffer.
func TestCheckBeforeBuffer(t *testing.T) {
	c := &Client{cfg: ClientConfig{CheckReplyUser: true}, log: slog.New(slog.DiscardHandler)}
	cl := &call{id: "x", events: make(chan event, 1), check: c.replyCheck(target{exchange: Exchange, serial: "JIG-1"})}
	forged := &amqp.Delivery{UserId: "jig-JIG-2", Body: []byte("forged")}
	genuine := &amqp.Delivery{UserId: "jig-JIG-1", Body: []byte("genuine")}
	c.deliver(cl, event{reply: forged})
	c.deliver(cl, event{reply: &amqp.Delivery{Body: []byte("no user_id")}})
	c.deliver(cl, event{reply: genuine})
	if ev := <-cl.events; ev.reply != genuine || c.Rejected() != 2 || c.Discarded() != 0 {
		t.Fatalf("got %s, rejected %d, discarded %d; want genuine, 2, 0", ev.reply.Body, c.Rejected(), c.Discarded())
	}
	// JIG-1's user answering in JIG-2's name to a request for JIG-1.
	c.deliver(cl, event{reply: &amqp.Delivery{UserId: "jig-JIG-1", Body: []byte(`{"ok":true,"serial":"JIG-2"}`)}})
	c.deliver(cl, event{reply: &amqp.Delivery{UserId: "jig-JIG-1", Body: []byte(`{"ok":true,"serial":"JIG-1"}`)}})
	if ev := <-cl.events; c.Rejected() != 3 || string(ev.reply.Body) != `{"ok":true,"serial":"JIG-1"}` {
		t.Fatalf("got %s, rejected %d; want the reply naming JIG-1, 3", ev.reply.Body, c.Rejected())
	}
	c.deliver(cl, event{returned: &amqp.Return{}}) // the broker's own returns are not replies
	if ev := <-cl.events; ev.returned == nil {
		t.Fatal("return dropped")
	}
}

func TestBroadcastReplyCheck(t *testing.T) {
	c := &Client{cfg: ClientConfig{CheckReplyUser: true, ReplyUser: func(s string) string { return s + "@floor" }},
		log: slog.New(slog.DiscardHandler)}
	check := c.replyCheck(target{exchange: Exchange, serial: Broadcast})
	cases := []struct {
		user, body string
		ok         bool
	}{
		{"JIG-1@floor", `{"ok":true,"serial":"JIG-1"}`, true},
		{"JIG-2@floor", `{"ok":true,"serial":"JIG-1"}`, false},
		{"JIG-1@floor", `READY`, false},                    // names no serial: cannot be attributed
		{"@floor", `{"ok":true,"serial":""}`, false},       // not a serial
		{"a.b@floor", `{"ok":true,"serial":"a.b"}`, false}, // not a serial
	}
	for _, tc := range cases {
		if got := check(&amqp.Delivery{UserId: tc.user, Body: []byte(tc.body)}); got != tc.ok {
			t.Errorf("%s from %s: accepted %t, want %t", tc.body, tc.user, got, tc.ok)
		}
	}
	if c.replyCheck(target{serial: "rpc_queue"}) != nil {
		t.Error("CallQueue's replies are checked: the tutorial's protocol names no fixture")
	}
	c.cfg.CheckReplyUser = false
	if c.replyCheck(target{exchange: Exchange, serial: "JIG-1"}) != nil {
		t.Error("replies checked with the check off")
	}
}

func TestAuthorized(t *testing.T) {
	s, err := NewServer(ServerConfig{Serial: "JIG-1", ControllerUsers: []string{"line-ctl", "mes"}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	for user, want := range map[string]bool{"line-ctl": true, "mes": true, "": false, "jig-JIG-2": false, "Mes": false} {
		if got := s.authorized(log, &amqp.Delivery{UserId: user}); got != want {
			t.Errorf("%q: authorized %t, want %t", user, got, want)
		}
	}
	if s.Stats().Rejected != 3 {
		t.Fatalf("rejected %d, want 3", s.Stats().Rejected)
	}
	open, _ := NewServer(ServerConfig{Serial: "JIG-1"})
	if !open.authorized(log, &amqp.Delivery{}) {
		t.Fatal("a server without controller users refused a request")
	}
}

func TestRefused(t *testing.T) {
	ae := &amqp.Error{Code: amqp.AccessRefused, Reason: "ACCESS_REFUSED - no", Server: true}
	err := refused("bind q", ae, "hint")
	var got *amqp.Error
	if !errors.Is(err, ErrAccessRefused) || !errors.As(err, &got) || !isAccessRefused(err) {
		t.Fatalf("%v: does not wrap ErrAccessRefused and the broker's error", err)
	}
	if err.Error() != "bind q: access refused by the broker: ACCESS_REFUSED - no; hint" {
		t.Fatalf("message %q", err)
	}
	other := refused("bind q", &amqp.Error{Code: amqp.NotFound, Reason: "NOT_FOUND"}, "hint")
	if errors.Is(other, ErrAccessRefused) || strings.Contains(other.Error(), "hint") {
		t.Fatalf("not a refusal, reported as one: %v", other)
	}
}
