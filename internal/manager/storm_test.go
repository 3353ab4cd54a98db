package manager

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestFibStormNeverDelaysStatus: 200 Fib(1000000) broadcasts and 200
// Fib(1000000) requests for the fixture itself, all at once, each with a 2 s
// deadline. Every broadcast gets the refusal; each request for the fixture
// is answered ok or busy, or not at all once its deadline passed, never
// internal; and status requests sent meanwhile are each answered ok within
// their normal 2 s deadline (a correctness deadline: nothing Fib does may
// hold a status read). On the TLS tests' private node, over plain AMQP, so
// that the storm reaches no other test's managers.
func TestFibStormNeverDelaysStatus(t *testing.T) {
	_, n := tlsBroker.Get(t)
	f := startFixture(t, func(c *Config) { c.Broker.URLs = []string{n.GuestURL()} })
	replies := startStorm(t, n.GuestURL(), f.serial, 200)
	for i := 0; i < 5; i++ {
		if _, err := f.ask(t, "JigStatus", nil, 2*time.Second); err != nil {
			t.Fatalf("status %d during the storm: %v", i, err)
		}
	}
	codes := map[string]int{}
	for r := range replies {
		kind, _, _ := strings.Cut(r.CorrelationId, "-")
		codes[kind+" "+replyCode(t, r.Body, f.serial)]++
	}
	t.Logf("storm replies: %v", codes)
	if codes["broadcast bad_request"] != 200 {
		t.Fatalf("want 200 broadcast refusals, got %v", codes)
	}
	for k := range codes {
		if k != "broadcast bad_request" && k != "direct ok" && k != "direct busy" {
			t.Fatalf("unexpected reply %q (%v)", k, codes)
		}
	}
}

// startStorm publishes count Fib(1000000) broadcasts and count for serial,
// deadline 2 s, and returns their replies, closed once no more may come
// (none is sent after a deadline).
func startStorm(t *testing.T, url, serial string, count int) <-chan amqp.Delivery {
	rc := testutil.NewRawCaller(t, url)
	in := rc.Replies
	deadline := time.Now().Add(2 * time.Second)
	publishStorm(t, rc.Ch, rc.Queue, serial, count, deadline)
	out := make(chan amqp.Delivery, 4*count)
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(time.Second))
	go func() {
		defer cancel()
		defer close(out)
		for {
			select {
			case d := <-in:
				out <- d
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// publishStorm publishes the storm's requests, replies to replyTo.
func publishStorm(t *testing.T, ch *amqp.Channel, replyTo, serial string, count int, deadline time.Time) {
	for i := range count {
		for kind, key := range map[string]string{"broadcast": mqmanager.RoutingKey(mqmanager.Broadcast, "Fib"),
			"direct": mqmanager.RoutingKey(serial, "Fib")} {
			err := ch.Publish(mqmanager.Exchange, key, false, false, amqp.Publishing{
				ContentType: mqmanager.ContentType, CorrelationId: fmt.Sprintf("%s-%d", kind, i), ReplyTo: replyTo,
				Body: []byte(`{"n": 1000000}`), Expiration: "2000",
				Headers: amqp.Table{mqmanager.DeadlineHeader: deadline.UnixMilli()}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// replyCode is "ok" or the error code of a reply from serial.
func replyCode(t *testing.T, body []byte, serial string) string {
	var env struct {
		OK     bool   `json:"ok"`
		Serial string `json:"serial"`
		Error  struct {
			Code, Message string
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Serial != serial {
		t.Fatalf("reply %s: not from %s (%v)", body, serial, err)
	}
	if env.OK {
		return "ok"
	}
	if want := "Fib is not served on the _all broadcast: ask one fixture (<serial>.Req.Fib)"; env.Error.Code == "bad_request" && env.Error.Message != want {
		t.Fatalf("broadcast refusal %q, want %q", env.Error.Message, want)
	}
	return env.Error.Code
}
