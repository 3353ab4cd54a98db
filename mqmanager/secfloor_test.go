package mqmanager

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The security tests run on the package's private broker node (private,
// broker_test.go), provisioned like a real floor by the real deploy
// scripts: two fixtures, a controller that the managers accept, and
// another controller that they do not.

const (
	serialA, serialB = "JIG-A", "JIG-B"
	serialC          = "JIG-C" // its user may bind its own keys only, not _all's
	ctlUser          = "line-ctl"
	otherCtl         = "other-ctl"
	oldCtl           = "old-ctl" // a controller's rights from before the per-request queues were client-named
)

// secFloor is the private node with its users' passwords.
type secFloor struct {
	node *testbroker.Node
	pw   map[string]string // user -> password
}

var (
	floorOnce sync.Once
	floor     *secFloor
	floorErr  error
)

// getFloor boots the private node and provisions it, once per package.
func getFloor(t testing.TB) *secFloor {
	t.Helper()
	n := private.Get(t)
	floorOnce.Do(func() { floor, floorErr = provisionFloor(n) })
	if floorErr != nil {
		t.Fatal(floorErr)
	}
	return floor
}

// provisionFloor creates the users: JIG-A, JIG-B and line-ctl with the
// deploy scripts (so they are tested too), and by hand, to save the
// scripts' many rabbitmqctl runs, other-ctl with a controller's rights and
// JIG-C with those of an older provisioning that let a fixture bind only
// its own keys, not the broadcast ones.
func provisionFloor(n *testbroker.Node) (*secFloor, error) {
	f := &secFloor{node: n, pw: map[string]string{"guest": "guest", otherCtl: "other", oldCtl: "old",
		FixtureUser(serialC): "jigc"}}
	jobs := []struct{ script, name, user string }{
		{"add-fixture.sh", serialA, FixtureUser(serialA)},
		{"add-fixture.sh", serialB, FixtureUser(serialB)},
		{"add-controller.sh", ctlUser, ctlUser},
	}
	errs := make([]error, len(jobs)+1)
	pws := make([]string, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() { defer wg.Done(); pws[i], errs[i] = runDeployScript(n, j.script, j.name) }()
	}
	errs[len(jobs)] = addByHand(n, f.pw)
	wg.Wait()
	for i, j := range jobs {
		f.pw[j.user] = pws[i]
	}
	return f, errors.Join(errs...)
}

func addByHand(n *testbroker.Node, pw map[string]string) error {
	c := FixtureUser(serialC)
	steps := [][]string{
		{pw[otherCtl] + "\n", "add_user", otherCtl},
		{"", "set_topic_permissions", otherCtl, "amq.topic", `^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\.Req\.[A-Za-z0-9_]+$`, "^$"},
		{"", "set_permissions", otherCtl, `^(amq\.gen-.*|jigmq\.reply\..*)$`, `^amq\.topic$`, `^(amq\.gen-.*|jigmq\.reply\..*)$`},
		{pw[oldCtl] + "\n", "add_user", oldCtl},
		{"", "set_topic_permissions", oldCtl, "amq.topic", `^([A-Za-z0-9][A-Za-z0-9_-]{0,63}|_all)\.Req\.[A-Za-z0-9_]+$`, "^$"},
		{"", "set_permissions", oldCtl, `^amq\.gen-.*$`, `^amq\.topic$`, `^amq\.gen-.*$`},
		{pw[c] + "\n", "add_user", c},
		{"", "set_topic_permissions", c, "amq.topic", "^$", `^JIG-C\.Req\.`},
		{"", "set_permissions", c, `^jig\.JIG-C$`, `^(amq\.default|jig\.JIG-C)$`, `^(amq\.topic|jig\.JIG-C)$`},
	}
	for _, s := range steps {
		if _, err := n.Ctl(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// runDeployScript runs deploy/rabbitmq/SCRIPT NAME against the node and
// returns the password it generated (its only output on stdout).
func runDeployScript(n *testbroker.Node, script, name string) (string, error) {
	ctl, env := n.CtlCommand()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testbroker.CtlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", filepath.Join("..", "deploy", "rabbitmq", script), name)
	cmd.Env = append(env, "RABBITMQCTL="+ctl)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", &scriptError{script: script, name: name, err: err, stderr: errb.String()}
	}
	return strings.TrimSpace(out.String()), nil
}

type scriptError struct {
	script, name, stderr string
	err                  error
}

func (e *scriptError) Error() string {
	return e.script + " " + e.name + ": " + e.err.Error() + ": " + strings.TrimSpace(e.stderr)
}

// url is the node's URL for user.
func (f *secFloor) url(user string) string { return f.node.URL(user, f.pw[user]) }

// conn is a plain amqp091-go connection as user, closed with the test.
func (f *secFloor) conn(t testing.TB, user string) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(f.url(user))
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// confirmed is a channel in confirm mode: a publish returns once the broker
// has routed it, so that what it publishes is ordered before what follows.
type confirmed struct {
	mu     sync.Mutex
	ch     *amqp.Channel
	closed chan *amqp.Error
}

func (f *secFloor) confirmed(t testing.TB, user string) *confirmed {
	t.Helper()
	ch, err := f.conn(t, user).Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return &confirmed{ch: ch, closed: ch.NotifyClose(make(chan *amqp.Error, 1))}
}

// publish publishes and waits for the broker's confirm; it returns the
// channel's close error when the broker refused the publish.
func (c *confirmed) publish(exchange, key string, p amqp.Publishing) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dc, err := c.ch.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, p)
	if err != nil {
		return err
	}
	select {
	case <-dc.Done():
		if dc.Acked() {
			return nil
		}
		// A refused publish closes the channel, which is notified before
		// the pending confirms are released.
		select {
		case e := <-c.closed:
			return e
		default:
			return errNacked
		}
	case e := <-c.closed:
		return e
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errNacked = &amqp.Error{Code: 0, Reason: "publish nacked"}

// serve runs a manager for serial logged in as user, serving only the
// given controllers (none: anyone), with the test handlers, WhoAmI and
// whatever more registers; it waits until the manager consumes.
func (f *secFloor) serve(t testing.TB, serial, user string, controllers []string, more func(*Server)) *runningServer {
	t.Helper()
	ready := make(chan struct{}, 8)
	s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{f.url(user)}}, Serial: serial,
		ControllerUsers: controllers, OnReady: func() { notifyNB(ready) }})
	if err != nil {
		t.Fatal(err)
	}
	testHandlers(s)
	s.Handle("WhoAmI", HandlerFunc(func(_ context.Context, r *Request) (any, error) { return r.UserID, nil }))
	if more != nil {
		more(s)
	}
	return runServer(t, s, serial, ready)
}

// client dials as user; check turns on the reply-user check.
func (f *secFloor) client(t testing.TB, user string, mode ReplyMode, check bool) *Client {
	t.Helper()
	c, err := Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{f.url(user)}},
		ReplyMode: mode, CheckReplyUser: check})
	if err != nil {
		t.Fatalf("dial as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
