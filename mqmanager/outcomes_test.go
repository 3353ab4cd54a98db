package mqmanager

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// TestOutcomes checks every outcome of a request in every reply mode.
func TestOutcomes(t *testing.T) {
	srv := startServer(t, func(c *ServerConfig) { c.MaxBody = 1024 })
	silent := silentManager(t)
	for _, mode := range allModes {
		t.Run(mode.String(), func(t *testing.T) {
			c := dialClient(t, mode)
			t.Run("ok", func(t *testing.T) {
				r, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", echoArgs{Text: "hi"})
				if err != nil {
					t.Fatal(err)
				}
				var got echoArgs
				if err := json.Unmarshal(r.Result, &got); err != nil || got.Text != "hi" {
					t.Fatalf("result %s (%v), want text hi", r.Result, err)
				}
				if r.Raw || r.Serial != srv.serial || r.Method != "Echo" {
					t.Fatalf("reply %+v", r)
				}
			})
			for name, tc := range map[string]struct {
				method, body, code string
			}{
				"malformed":       {"Echo", `{"text":`, jigapi.CodeBadRequest},
				"not object":      {"Echo", `[1,2]`, jigapi.CodeBadRequest},
				"wrong type":      {"Echo", `{"text": 5}`, jigapi.CodeBadRequest},
				"unknown field":   {"Echo", `{"txt": "x"}`, jigapi.CodeBadRequest},
				"trailing":        {"Echo", `{} {}`, jigapi.CodeBadRequest},
				"unknown":         {"NoSuchMethod", `{}`, jigapi.CodeUnknownMethod},
				"key case":        {"Echo", `{"Text": "x"}`, jigapi.CodeBadRequest},
				"key twice":       {"Echo", `{"text": "a", "text": "b"}`, jigapi.CodeBadRequest},
				"byte-order mark": {"Echo", "\xef\xbb\xbf{}", jigapi.CodeBadRequest},
				"empty method":    {"", `{}`, jigapi.CodeUnknownMethod},
				"too large":       {"Echo", `{"text":"` + strings.Repeat("x", 2000) + `"}`, jigapi.CodeTooLarge},
				"panic":           {"Panic", `{}`, jigapi.CodeInternal},
			} {
				t.Run(name, func(t *testing.T) {
					_, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, tc.method, json.RawMessage(tc.body))
					re := wantRemote(t, err, tc.code)
					if re.Serial != srv.serial || re.Method != tc.method || re.Message == "" {
						t.Fatalf("remote error %+v", re)
					}
				})
			}
			t.Run("no fixture", func(t *testing.T) {
				start := time.Now()
				_, err := c.Request(ctxTimeout(t, 10*time.Second), uniqueSerial(t), "Ping", nil)
				if !errors.Is(err, ErrNoFixture) {
					t.Fatalf("want ErrNoFixture, got %v", err)
				}
				// Fail-fast is the point: far less than the 10s deadline.
				if time.Since(start) > 5*time.Second {
					t.Fatalf("no-fixture took %v, not immediate", time.Since(start))
				}
			})
			t.Run("timeout", func(t *testing.T) {
				_, err := c.Request(ctxTimeout(t, 300*time.Millisecond), silent, "Ping", nil)
				if !errors.Is(err, ErrTimeout) {
					t.Fatalf("want ErrTimeout, got %v", err)
				}
				var te *TimeoutError
				if !errors.As(err, &te) || te.Serial != silent {
					t.Fatalf("timeout error %v", err)
				}
			})
			t.Run("still serving", func(t *testing.T) {
				if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// silentManager binds a queue for a fresh serial that never answers.
func silentManager(t *testing.T) string {
	serial, _, _ := fakeManager(t)
	return serial
}

// fakeManager binds a plain queue for a fresh serial's requests, as a
// manager would, and returns the serial, its queue and the channel.
func fakeManager(t *testing.T) (serial, queue string, ch *amqp.Channel) {
	serial = uniqueSerial(t)
	ch = rawChannel(t)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, serial+".Req.*", Exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	return serial, q.Name, ch
}

func TestBrokerUnreachable(t *testing.T) {
	for _, mode := range allModes {
		_, err := Dial(ctxTimeout(t, 3*time.Second), ClientConfig{
			Broker: Broker{URLs: []string{"amqp://guest:s3cret@127.0.0.1:1/"}}, ReplyMode: mode})
		if !errors.Is(err, ErrBrokerUnreachable) {
			t.Fatalf("%v: want ErrBrokerUnreachable, got %v", mode, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("password in error: %v", err)
		}
	}
}

// TestRawReply: a manager predating the contract answers with its own body;
// the client passes it through, marked raw.
func TestRawReply(t *testing.T) {
	serial, queue, ch := fakeManager(t)
	msgs, err := ch.Consume(queue, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	bodies := [][]byte{[]byte("READY"), []byte(`{"status":"READY"}`), []byte(`{"ok":false}`)}
	for _, mode := range allModes {
		c := dialClient(t, mode)
		for _, body := range bodies {
			done := make(chan *Reply, 1)
			errc := make(chan error, 1)
			go func() {
				r, err := c.Request(ctxTimeout(t, 5*time.Second), serial, "JigStatus", nil)
				done <- r
				errc <- err
			}()
			d := <-msgs
			if err := ch.Publish("", d.ReplyTo, false, false, amqp.Publishing{CorrelationId: d.CorrelationId, Body: body}); err != nil {
				t.Fatal(err)
			}
			r, err := <-done, <-errc
			if err != nil {
				t.Fatalf("%v %s: %v", mode, body, err)
			}
			if !r.Raw || string(r.Body) != string(body) {
				t.Fatalf("%v: reply %+v, want raw %s", mode, r, body)
			}
			if json.Valid(body) != (r.Result != nil) {
				t.Fatalf("%v: result %s for body %s", mode, r.Result, body)
			}
		}
	}
}
