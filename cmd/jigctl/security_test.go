package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

// private is a broker node of this package's own, for users and
// permissions the shared broker must not be given.
var private = &testbroker.Lazy{}

func TestCheckReplyUserFlags(t *testing.T) {
	_, errOut := wantCode(t, exitUsage, "--reply-user-format", "jig-", "ping", "JIG-1")
	if !strings.Contains(errOut, "want exactly one %s") {
		t.Fatalf("stderr: %s", errOut)
	}
	t.Setenv("JIGCTL_CHECK_REPLY_USER", "yes")
	if _, errOut = wantCode(t, exitUsage, "ping", "JIG-1"); !strings.Contains(errOut, "JIGCTL_CHECK_REPLY_USER") {
		t.Fatalf("stderr: %s", errOut)
	}
}

// TestCheckReplyUserGuest: on the demo's setup, one guest user, a checking
// jigctl does not take the manager's reply (user_id guest, not
// jig-<serial>): it times out and says why.
func TestCheckReplyUserGuest(t *testing.T) {
	f := startFixture(t)
	_, errOut := wantCode(t, exitTimeout, "--timeout", "1s", "--check-reply-user", "ping", f.serial)
	for _, want := range []string{"discarding reply", "user_id=guest", "want_user=jig-" + f.serial} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	wantCode(t, exitOK, "ping", f.serial)
}

// TestSecuredFixture: a fixture with its own broker user and a manager that
// serves only the controller: the controller's checking jigctl is answered,
// in every reply mode and by list; a request from another user is dropped
// unanswered, and stats counts it.
func TestSecuredFixture(t *testing.T) {
	n := private.Get(t)
	const serial, ctl = "SEC-1", "line-ctl"
	n.AddUser(t, mqmanager.FixtureUser(serial), "fixture-pw")
	n.Grant(t, mqmanager.FixtureUser(serial), `^jig\.SEC-1$`, `^(amq\.default|jig\.SEC-1)$`,
		`^(amq\.topic|jig\.SEC-1)$`, "^$", `^(SEC-1|_all)\.Req\.`)
	n.AddUser(t, ctl, "ctl-pw")
	n.Grant(t, ctl, `^(amq\.gen-.*|jigmq\.reply\..*)$`, `^amq\.topic$`, `^(amq\.gen-.*|jigmq\.reply\..*)$`, `^(SEC-1|_all)\.Req\.[A-Za-z]+$`, "^$")
	startFixtureWith(t, serial, func(c *manager.Config) {
		c.Broker.URLs = []string{n.URL(mqmanager.FixtureUser(serial), "fixture-pw")}
		c.Security.ControllerUsers = []string{ctl}
	})
	url := n.URL(ctl, "ctl-pw")
	for _, mode := range []string{"per-request", "shared", "direct"} {
		wantCode(t, exitOK, "--url", url, "--check-reply-user", "--reply", mode, "status", serial)
	}
	if out, _ := wantCode(t, exitOK, "--url", url, "--check-reply-user", "list"); !strings.Contains(out, serial) {
		t.Fatalf("list:\n%s", out)
	}
	publishAsGuest(t, n, mqmanager.RoutingKey(serial, "Ping"))
	out, _ := wantCode(t, exitOK, "--url", url, "--check-reply-user", "stats", serial)
	if !strings.Contains(out, "rejected=1") {
		t.Fatalf("stats does not count the guest's request as rejected:\n%s", out)
	}
}

// publishAsGuest publishes a request as the node's guest user and waits for
// the broker's confirm, so it is queued before what the test sends next.
func publishAsGuest(t *testing.T, n *testbroker.Node, key string) {
	conn, err := amqp.Dial(n.GuestURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, mqmanager.Exchange, key, false, false,
		amqp.Publishing{UserId: "guest", ReplyTo: "amq.gen-nowhere", CorrelationId: "guest-1", Body: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := dc.WaitContext(ctx); !ok || err != nil {
		t.Fatalf("request as guest not confirmed: %v", err)
	}
}
