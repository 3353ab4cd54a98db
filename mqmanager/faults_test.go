package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestBrokerRestart: the broker stops and comes back (a real restart of a
// private node, its data kept). Requests pending when it stops end as
// broker unreachable, not at their deadlines; while it is down, requests
// fail at once as unreachable; once it is back the manager serves again
// within backBound, and the same long-lived clients are answered.
func TestBrokerRestart(t *testing.T) {
	n := private.Get(t)
	srv := serveOn(t, Broker{URLs: []string{n.GuestURL()}}, nil)
	clients := make([]*Client, len(allModes))
	results := make([]<-chan error, len(allModes))
	for i, mode := range allModes {
		clients[i] = dialNamed(t, n.GuestURL(), mode, "", 0)
		results[i] = pending(t, clients[i], srv.serial, 2)
	}
	waitFor(t, func() bool { return srv.Stats().InFlight == int64(2*len(allModes)) })
	restartNode(t, n, func() {
		for i, mode := range allModes {
			wantUnreachable(t, mode.String()+" at the stop", results[i], 2, 10*time.Second)
			_, err := clients[i].Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil)
			if !errors.Is(err, ErrBrokerUnreachable) {
				t.Fatalf("%v while the broker is down: want ErrBrokerUnreachable, got %v", mode, err)
			}
		}
		awaitEvent(t, srv.down, 5*time.Second, "OnDown")
		drain(srv.ready)
	})
	checkBack(t, "after the restart", time.Now(), awaitEvent(t, srv.ready, 30*time.Second, "serving again"))
	for i, mode := range allModes {
		wantAnswered(t, mode.String()+" after the restart", clients[i], srv.serial)
	}
}

// restartNode stops n, runs whileDown, and starts n again. The node is
// started again even if whileDown fails the test, for the tests after.
func restartNode(t *testing.T, n *testbroker.Node, whileDown func()) {
	t.Helper()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	started := false
	defer func() {
		if !started {
			n.Start()
		}
	}()
	whileDown()
	started = true
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
}

// TestForcedClose: an operator closes the manager's connection, then each
// client's (rabbitmqctl close_connection): the manager serves again within
// backBound; the client's pending requests end as broker unreachable, and
// its next request is answered.
func TestForcedClose(t *testing.T) {
	n := private.Get(t)
	srv := serveOn(t, Broker{URLs: []string{n.GuestURL()}}, nil)
	closeNamed(t, n, "mqtest-mgr-"+srv.serial)
	closed := time.Now()
	awaitEvent(t, srv.down, 10*time.Second, "OnDown")
	checkBack(t, "after its connection was closed", closed, awaitEvent(t, srv.ready, 30*time.Second, "serving again"))
	for i, mode := range allModes {
		name := "mqtest-cli-" + mode.String() + "-" + srv.serial
		c := dialNamed(t, n.GuestURL(), mode, name, 0)
		wantAnswered(t, mode.String()+" before", c, srv.serial)
		res := pending(t, c, srv.serial, 2)
		// The earlier modes' pending requests are still held (until their
		// deadline), two each. A count read just after an answer is no base:
		// the server counts a request out after it has sent the reply, which
		// the client may have received already.
		waitFor(t, func() bool { return srv.Stats().InFlight == int64(2*(i+1)) })
		closeNamed(t, n, name)
		wantUnreachable(t, mode.String(), res, 2, 10*time.Second)
		wantAnswered(t, mode.String()+" after", c, srv.serial)
	}
}

// lockedMsg is what the server logs when its queue is still held.
const lockedMsg = "queue still held by another connection, retrying"

// logEvents is a slog handler that sends each message to the channel
// without blocking.
type logEvents chan string

func (h logEvents) Enabled(context.Context, slog.Level) bool { return true }
func (h logEvents) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h logEvents) WithGroup(string) slog.Handler            { return h }
func (h logEvents) Handle(_ context.Context, r slog.Record) error {
	select {
	case h <- r.Message:
	default:
	}
	return nil
}

// TestResourceLockedRetry: the manager reconnects while its queue is still
// held by another connection (in the field, its own previous connection
// that the broker has not yet found dead): it retries with backoff instead
// of giving up, and serves again within backBound once the holder goes. A
// manager that never served still gives up: TestSecondServerRefused.
func TestResourceLockedRetry(t *testing.T) {
	n := private.Get(t)
	p, url := testutil.NewProxy(t, n.GuestURL())
	logs := make(logEvents, 256)
	srv := serveOn(t, Broker{URLs: []string{url}}, func(c *ServerConfig) { c.Logger = slog.New(logs) })
	p.Refuse(true)
	p.Cut()
	awaitEvent(t, srv.down, 10*time.Second, "OnDown")
	holder := holdQueue(t, n, srv.serial)
	p.Refuse(false)
	for refused := 0; refused < 3; {
		select {
		case msg := <-logs:
			if msg == lockedMsg {
				refused++
			}
		case err := <-srv.done:
			srv.done <- err
			t.Fatalf("Run gave up on a held queue: %v", err)
		case <-time.After(20 * time.Second):
			t.Fatalf("%d retries on the held queue within 20s, want 3", refused)
		}
	}
	released := time.Now()
	holder.Close()
	checkBack(t, "after the holder went", released, awaitEvent(t, srv.ready, 30*time.Second, "serving again"))
	wantAnswered(t, "after", dialNamed(t, n.GuestURL(), ReplyDirect, "", 0), srv.serial)
}

// holdQueue declares the serial's queue, exclusive, on a connection of its
// own, as soon as the broker has dropped the previous holder's.
func holdQueue(t *testing.T, n *testbroker.Node, serial string) *amqp.Connection {
	t.Helper()
	conn, err := amqp.Dial(n.GuestURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	testutil.WaitFor(t, "queue free for the holder", 10*time.Second, func() bool {
		ch, err := conn.Channel()
		if err != nil {
			t.Fatal(err)
		}
		_, err = ch.QueueDeclare(QueueName(serial), false, true, true, false, nil)
		return err == nil // a refused declare closes the channel
	})
	return conn
}

// TestQueueRecordLost: the broker drops the manager's queue record and
// bindings while the queue and its consumer live on, as RabbitMQ 3.x's
// node-down clean-up does to a manager that re-declared its queue on
// another node a moment before (see server_probe.go). Requests then fail as
// no fixture, and nothing tells the consumer. The manager's probe finds its
// queue gone, the session ends, and the manager serves again within a
// heartbeat of the loss plus backBound.
func TestQueueRecordLost(t *testing.T) {
	n := private.Get(t)
	srv := serveOn(t, Broker{URLs: []string{n.GuestURL()}, Heartbeat: 2 * time.Second}, nil)
	c := dialNamed(t, n.GuestURL(), ReplyShared, "mqtest-cli-record-"+srv.serial, 0)
	wantAnswered(t, "before", c, srv.serial)
	n.MustCtl(t, "eval", fmt.Sprintf(`Q = rabbit_misc:r(<<"/">>, queue, <<%q>>),
		rabbit_misc:execute_mnesia_transaction(fun () ->
			ok = mnesia:delete({rabbit_queue, Q}),
			rabbit_binding:remove_transient_for_destination(Q) end), ok.`, QueueName(srv.serial)))
	lost := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err := c.Request(ctx, srv.serial, "Echo", echoArgs{Text: "record lost"})
	cancel()
	if !errors.Is(err, ErrNoFixture) && !(err == nil && len(srv.down) > 0) {
		t.Fatalf("request just after the loss: want no fixture (the manager has not noticed yet), got %v", err)
	}
	awaitEvent(t, srv.down, 10*time.Second, "OnDown after the queue record was lost")
	back := awaitEvent(t, srv.ready, 10*time.Second, "serving again")
	if took := back.Sub(lost); took > 2*time.Second+backBound {
		t.Fatalf("served again %v after the loss, bound %v", took, 2*time.Second+backBound)
	}
	wantAnswered(t, "after", c, srv.serial)
}
