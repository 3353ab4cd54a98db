package mqmanager

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
)

// private is the package's own RabbitMQ node, booted by the first test that
// needs it and shared by the fault tests, the soak and the security tests
// (whose users, made once, survive the restarts). Each test leaves it
// running. TestMain (main_test.go) stops it.
var private = &testbroker.Lazy{}

// faultCap is the backoff cap of the servers in the fault tests, and
// backBound the bound on serving again after the broker (or the
// queue) is back: the cap, plus 2 s for connecting and declaring, which take
// tens of milliseconds on an idle machine and stay well under 2 s with the
// race detector on two busy cores.
const (
	faultCap  = time.Second
	backBound = faultCap + 2*time.Second
)

// watched is a running server with the times of its OnReady and OnDown
// events. The hooks never block the server.
type watched struct {
	*runningServer
	ready, down chan time.Time
}

// serveOn runs a server with testHandlers on broker b (named
// "mqtest-mgr-<serial>" unless b names it) with backoff from 50 ms up to
// faultCap, and waits until it serves.
func serveOn(t *testing.T, b Broker, mod func(*ServerConfig)) *watched {
	t.Helper()
	return serveWith(t, b, mod, testHandlers)
}

// serveWith is serveOn with the handlers that handle registers.
func serveWith(t *testing.T, b Broker, mod func(*ServerConfig), handle func(*Server)) *watched {
	t.Helper()
	w := &watched{ready: make(chan time.Time, 64), down: make(chan time.Time, 64)}
	w.runningServer = startServerWith(t, func(c *ServerConfig) {
		c.Broker = b
		c.ReconnectMin, c.ReconnectMax, c.ShutdownGrace = 50*time.Millisecond, faultCap, 50*time.Millisecond
		ready := c.OnReady
		c.OnReady = func() { ready(); sendTime(w.ready) }
		c.OnDown = func(error) { sendTime(w.down) }
		if mod != nil {
			mod(c)
		}
		if c.Broker.Name == "" {
			c.Broker.Name = "mqtest-mgr-" + c.Serial
		}
	}, handle)
	awaitEvent(t, w.ready, 5*time.Second, "first OnReady")
	return w
}

func sendTime(ch chan time.Time) {
	select {
	case ch <- time.Now():
	default:
	}
}

// awaitEvent returns the time of the next event on ch, failing the test
// when none comes within d.
func awaitEvent(t *testing.T, ch <-chan time.Time, d time.Duration, what string) time.Time {
	t.Helper()
	select {
	case at := <-ch:
		return at
	case <-time.After(d):
		t.Fatalf("%s: none within %v", what, d)
		return time.Time{}
	}
}

// drain discards the events that came so far.
func drain(ch <-chan time.Time) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// checkBack fails the test if the server was not serving again within
// backBound of the moment its broker (or queue) was back.
func checkBack(t *testing.T, what string, back, ready time.Time) {
	t.Helper()
	took := max(ready.Sub(back), 0)
	if took > backBound {
		t.Fatalf("%s: serving again %v after, bound %v", what, took, backBound)
	}
	t.Logf("%s: serving again %v after (bound %v)", what, took.Round(time.Millisecond), backBound)
}

// dialNamed connects a client to url with a connection name (for
// rabbitmqctl) and heartbeat hb (0: the default).
func dialNamed(t *testing.T, url string, mode ReplyMode, name string, hb time.Duration) *Client {
	t.Helper()
	c, err := Dial(ctxTimeout(t, 5*time.Second), ClientConfig{
		Broker: Broker{URLs: []string{url}, Name: name, Heartbeat: hb}, ReplyMode: mode, AppID: "mqmanager-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// pending starts k requests that the server holds for 30 s, with a 20 s
// deadline; their outcomes arrive on the returned channel.
func pending(t *testing.T, c *Client, serial string, k int) <-chan error {
	return pendingFor(t, c, serial, k, 20*time.Second)
}

// pendingFor is pending with the requests' deadline.
func pendingFor(t *testing.T, c *Client, serial string, k int, deadline time.Duration) <-chan error {
	out := make(chan error, k)
	for i := 0; i < k; i++ {
		ctx := ctxTimeout(t, deadline)
		go func() {
			_, err := c.Request(ctx, serial, "Echo", echoArgs{Sleep: "30s"})
			out <- err
		}()
	}
	return out
}

// wantUnreachable checks that k pending requests ended as broker
// unreachable, within d: a lost link, not their deadlines.
func wantUnreachable(t *testing.T, what string, res <-chan error, k int, d time.Duration) {
	t.Helper()
	limit := time.After(d)
	for i := 0; i < k; i++ {
		select {
		case err := <-res:
			if !errors.Is(err, ErrBrokerUnreachable) {
				t.Fatalf("%s: pending request: want ErrBrokerUnreachable, got %v", what, err)
			}
		case <-limit:
			t.Fatalf("%s: %d of %d pending requests still waiting after %v", what, k-i, k, d)
		}
	}
}

// wantAnswered checks that c is answered by serial.
func wantAnswered(t *testing.T, what string, c *Client, serial string) {
	t.Helper()
	r, err := c.Request(ctxTimeout(t, 5*time.Second), serial, "Echo", echoArgs{Text: what})
	if err != nil || string(r.Result) != fmt.Sprintf(`{"text":%q}`, what) {
		t.Fatalf("%s: %+v, %v", what, r, err)
	}
}

// closeNamed force-closes the connection named name, as an operator does
// with rabbitmqctl close_connection, once the broker lists it.
func closeNamed(t *testing.T, n *testbroker.Node, name string) {
	t.Helper()
	var pid string
	testutil.WaitFor(t, "connection "+name+" listed", 30*time.Second, func() bool {
		conns, err := n.Connections()
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conns {
			if c.Name == name {
				pid = c.Pid
			}
		}
		return pid != ""
	})
	if err := n.CloseConnection(pid, "mqmanager test: forced close"); err != nil {
		t.Fatal(err)
	}
}
