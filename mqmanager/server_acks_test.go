package mqmanager

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestAcksFlushedWhenIdle: requests that come one at a time, fewer than an
// ack batch, are each acked once the reader has nothing more to read: the
// broker's count of the manager's unacknowledged messages comes back to 0
// (on a private node, where rabbitmqctl can read it).
func TestAcksFlushedWhenIdle(t *testing.T) {
	n := private.Get(t)
	srv := startServer(t, func(c *ServerConfig) { c.Broker.URLs, c.Prefetch = []string{n.GuestURL()}, 8 })
	c, err := Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{n.GuestURL()}}, ReplyMode: ReplyDirect})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 { // the batch of a prefetch of 8 is 4
		if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	unacked := func() string {
		out := n.MustCtl(t, "list_queues", "--no-table-headers", "name", "messages_unacknowledged")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == QueueName(srv.serial) {
				return f[1]
			}
		}
		return "queue " + QueueName(srv.serial) + " not listed"
	}
	testutil.WaitFor(t, "no unacked requests", 10*time.Second, func() bool { return unacked() == "0" })
}

// TestAcksUnderBurst: a burst of requests on a small prefetch, with one
// handler slot, and unanswerable requests among them (acked with the rest,
// never answered): every good request is answered, once, and the bad ones
// are counted as dropped. Before the reader waits for the slot it writes
// its batch's acks and starts their handlers; without that, a marked
// request would hold the only slot unstarted and the burst would stall.
func TestAcksUnderBurst(t *testing.T) {
	srv := startServer(t, func(c *ServerConfig) { c.Prefetch, c.Concurrency = 4, 1 })
	rc := testutil.NewRawCaller(t, testURL())
	const n = 300
	good := 0
	for i := range n {
		p := amqp.Publishing{ContentType: ContentType, CorrelationId: strconv.Itoa(i), ReplyTo: rc.Queue, Body: []byte("{}")}
		if i%10 == 0 {
			p.ReplyTo = "" // dropped: nowhere to answer
		} else {
			good++
		}
		if err := rc.Ch.Publish(Exchange, RoutingKey(srv.serial, "Echo"), false, false, p); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(seen) < good {
		select {
		case d := <-rc.Replies:
			if seen[d.CorrelationId] {
				t.Fatalf("request %s answered twice", d.CorrelationId)
			}
			seen[d.CorrelationId] = true
		case <-timeout:
			t.Fatalf("%d of %d requests answered within 30s", len(seen), good)
		}
	}
	waitFor(t, func() bool { return srv.Stats().Dropped == uint64(n-good) })
}
