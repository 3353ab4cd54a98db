package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testbroker"
	amqp "github.com/rabbitmq/amqp091-go"
)

// vhostUser adds a user of the test's own to the shared private node (with
// no permissions: it may log in but not open a vhost) and deletes it when
// the test ends. The password shares nothing with the name, so that the
// messages' redaction of it cannot hide the user.
func vhostUser(t *testing.T, n *testbroker.Node) (user, pass string) {
	t.Helper()
	user = "mqtest-vhost-" + uuid.NewString()[:8]
	pass = "pw" + strings.ReplaceAll(uuid.NewString(), "-", "")
	n.AddUser(t, user, pass)
	t.Cleanup(func() {
		if _, err := n.Ctl("", "delete_user", user); err != nil {
			t.Logf("delete_user %s: %v", user, err)
		}
	})
	return user, pass
}

// TestVhostRefusedStops: a manager whose user may log in but has no access
// to the vhost (530 NOT_ALLOWED on connection.open) stops before it ever
// served, like one whose login is refused, saying which user and vhost,
// never the password; a client is told the same.
func TestVhostRefusedStops(t *testing.T) {
	n := private.Get(t)
	user, pass := vhostUser(t, n)
	url := n.URL(user, pass)
	start := time.Now()
	err := runUntilError(t, url, uniqueSerial(t)) // nil if it retried until its 20 s context ended
	if took := time.Since(start); err == nil || took > 10*time.Second {
		t.Fatalf("manager: %v after %v; want it to stop at the first refusal", err, took)
	}
	checkVhostRefused(t, "manager", err, user, pass)
	_, err = Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{url}}})
	checkVhostRefused(t, "client", err, user, pass)
}

// TestVhostRefusedAfterServeRetried: once a manager has served, a refusal
// of the vhost (an operator re-applying or revoking the user's rights) is
// retried like a lost link, and it serves again as soon as the rights are
// back.
func TestVhostRefusedAfterServeRetried(t *testing.T) {
	n := private.Get(t)
	user, pass := vhostUser(t, n)
	n.Grant(t, user, ".*", ".*", ".*", "", "")
	r := startRetrying(t, n.URL(user, pass))
	awaitEvent(t, r.ready, 10*time.Second, "first OnReady")
	n.MustCtl(t, "clear_permissions", user)
	closeNamed(t, n, "mqtest-mgr-"+r.serial) // the open link keeps its rights
	awaitEvent(t, r.down, 10*time.Second, "OnDown after the forced close")
	err := r.awaitRetry(t, "after the rights were revoked", func(err error) bool { return errors.Is(err, errVhostRefused) })
	t.Logf("retrying after: %v", err)
	drain(r.ready)
	n.Grant(t, user, ".*", ".*", ".*", "", "")
	back := time.Now() // at the latest; serving before it counts as 0
	checkBack(t, "rights granted again", back, awaitEvent(t, r.ready, 10*time.Second, "OnReady after the grant"))
}

// TestConnectionLimitRetried: the broker's other 530 on connection.open, a
// user's connection limit reached, passes with time (another connection of
// the user's ends): a manager that never served retries it, and serves once
// the limit allows.
func TestConnectionLimitRetried(t *testing.T) {
	n := private.Get(t)
	user, pass := vhostUser(t, n)
	n.Grant(t, user, ".*", ".*", ".*", "", "")
	n.MustCtl(t, "set_user_limits", user, `{"max-connections": 0}`)
	r := startRetrying(t, n.URL(user, pass))
	err := r.awaitRetry(t, "at the connection limit", func(err error) bool {
		var ae *amqp.Error
		return errors.As(err, &ae) && ae.Code == amqp.NotAllowed
	})
	if errors.Is(err, errVhostRefused) {
		t.Fatalf("connection limit taken for a vhost refusal: %v", err)
	}
	t.Logf("retrying after: %v", err)
	n.MustCtl(t, "clear_user_limits", user, "max-connections")
	back := time.Now() // at the latest, as above
	checkBack(t, "limit cleared", back, awaitEvent(t, r.ready, 10*time.Second, "OnReady after the limit cleared"))
}

func checkVhostRefused(t *testing.T, who string, err error, user, pass string) {
	t.Helper()
	msg := fmt.Sprint(err)
	if !errors.Is(err, ErrBrokerUnreachable) || !errors.Is(err, errVhostRefused) ||
		!strings.Contains(msg, `user "`+user+`" has no access to vhost "/"`) || strings.Contains(msg, pass) {
		t.Fatalf("%s: %v; want the vhost refusal naming the user and the vhost, without the password", who, err)
	}
}

// retrying is a running server that need not serve yet, with its OnRetry
// errors (dropped once 256 are waiting) besides its OnReady and OnDown
// events.
type retrying struct {
	*watched
	retries chan error
}

// startRetrying runs a server for url until the end of the test.
func startRetrying(t *testing.T, url string) *retrying {
	r := &retrying{watched: &watched{ready: make(chan time.Time, 64), down: make(chan time.Time, 64)},
		retries: make(chan error, 256)}
	serial := uniqueSerial(t)
	s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{url}, Name: "mqtest-mgr-" + serial}, Serial: serial,
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: faultCap, ServerLimits: ServerLimits{ShutdownGrace: 50 * time.Millisecond},
		OnReady: func() { sendTime(r.ready) }, OnDown: func(error) { sendTime(r.down) },
		OnRetry: func(err error) {
			select {
			case r.retries <- err:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	testHandlers(s)
	ctx, cancel := context.WithCancel(context.Background())
	r.runningServer = &runningServer{Server: s, serial: serial, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// awaitRetry waits for a retry whose error matches, failing the test if
// none comes within 10 s or the server stops.
func (r *retrying) awaitRetry(t *testing.T, what string, match func(error) bool) error {
	t.Helper()
	limit := time.After(10 * time.Second)
	for {
		select {
		case err := <-r.retries:
			if match(err) {
				return err
			}
		case err := <-r.done:
			r.done <- err // for the cleanup's stop
			t.Fatalf("%s: the server stopped (%v), want it retrying", what, err)
		case <-limit:
			t.Fatalf("%s: no such retry within 10s", what)
		}
	}
}

// vhostReasons are RabbitMQ 3.10's reasons for a 530 on connection.open, as
// the tests above and a vhost with a connection limit showed them, and
// whether each is a refusal no retry fixes.
var vhostReasons = []struct {
	reason string
	server bool   // sent by the broker
	want   string // what the error says; "" = not a vhost refusal
}{
	{"NOT_ALLOWED - access to vhost '/' refused for user 'jig-A'", true, `user "jig-A" has no access to vhost "/"`},
	{"NOT_ALLOWED - vhost floor not found", true, `the broker has no vhost "floor"`},
	{"NOT_ALLOWED - access to vhost '/' refused for user 'jig-A': connection limit (0) is reached", true, ""},
	{"NOT_ALLOWED - connection refused for user 'jig-A': user connection limit (4) is reached", true, ""},
	{"NOT_ALLOWED - vhost / is down", true, ""},
	{"NOT_ALLOWED - access to vhost '/' refused for user 'jig-A'", false, ""},
}

// TestExplainVhost: only the 530s that no retry fixes are taken for a vhost
// refusal, and the error still wraps the broker's.
func TestExplainVhost(t *testing.T) {
	for _, c := range vhostReasons {
		in := &amqp.Error{Code: amqp.NotAllowed, Reason: c.reason, Server: c.server}
		err := dialFailed("amqp://jig-A:s3cret@rabbit:5672/", Broker{}, in, nil, nil)
		var ae *amqp.Error
		if got := errors.Is(err, errVhostRefused); got != (c.want != "") || !strings.Contains(err.Error(), c.want) ||
			!errors.As(err, &ae) || ae != in || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q (server %v): %v; want a vhost refusal: %v, saying %q, wrapping the broker's error",
				c.reason, c.server, err, c.want != "", c.want)
		}
	}
}
