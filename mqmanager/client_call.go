package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// target is one request on the wire.
type target struct {
	exchange, key  string
	serial, method string // for outcomes and raw replies
	contentType    string
	body           []byte
}

// call is a request waiting for its replies. Its reply path delivers to
// events without blocking; dead is closed when the path is gone.
type call struct {
	id     string
	events chan event
	dead   <-chan struct{}
	err    func() error // why dead was closed
	// check is the reply-user check (replyCheck), or nil.
	check func(*amqp.Delivery) bool
}

type event struct {
	reply    *amqp.Delivery
	returned *amqp.Return
}

// Request asks the manager of serial to run method with body (marshalled to
// JSON; nil sends {}), and waits until ctx ends. The outcome is exactly one
// of: a *Reply; a *RemoteError (the manager's error reply); ErrNoFixture;
// ErrTimeout (ctx's deadline passed); ErrBrokerUnreachable; ctx.Err() when
// ctx is cancelled; ErrClosed.
func (c *Client) Request(ctx context.Context, serial, method string, body any) (*Reply, error) {
	raw, err := c.request(ctx, serial, method, body)
	if err != nil {
		return nil, err
	}
	return decodeReply(serial, method, raw)
}

// request is Request's round trip: the reply's body, undecoded.
func (c *Client) request(ctx context.Context, serial, method string, body any) ([]byte, error) {
	if err := CheckSerial(serial); err != nil {
		return nil, err
	}
	payload, err := marshalBody(body)
	if err != nil {
		return nil, err
	}
	t := target{exchange: Exchange, key: RoutingKey(serial, method), serial: serial, method: method,
		contentType: ContentType, body: payload}
	var raw []byte
	err = c.roundTrip(ctx, t, 1, func(d *amqp.Delivery) bool { raw = d.Body; return true })
	return raw, err
}

// Broadcast sends method to every manager (serial "_all") and calls each for
// every reply until ctx ends or each returns false. It returns nil when ctx's
// deadline ends the collection, ErrNoFixture when no manager is bound at all.
func (c *Client) Broadcast(ctx context.Context, method string, body any, each func(*Reply, error) bool) error {
	payload, err := marshalBody(body)
	if err != nil {
		return err
	}
	t := target{exchange: Exchange, key: RoutingKey(Broadcast, method), serial: Broadcast, method: method,
		contentType: ContentType, body: payload}
	err = c.roundTrip(ctx, t, 1024, func(d *amqp.Delivery) bool {
		return !each(decodeReply("", method, d.Body))
	})
	if errors.Is(err, ErrTimeout) {
		return nil
	}
	return err
}

// CallQueue is the classic RPC tutorial's request: body is published to the
// named queue through the default exchange, and the reply's body returned as
// it is. A missing queue fails at once with ErrNoFixture.
func (c *Client) CallQueue(ctx context.Context, queue string, body []byte) ([]byte, error) {
	t := target{key: queue, serial: queue, method: "rpc", contentType: "text/plain", body: body}
	var raw []byte
	err := c.roundTrip(ctx, t, 1, func(d *amqp.Delivery) bool { raw = d.Body; return true })
	return raw, err
}

func marshalBody(body any) ([]byte, error) {
	switch b := body.(type) {
	case nil, jigapi.NoArgs:
		return []byte("{}"), nil
	case []byte:
		return b, nil
	case json.RawMessage:
		return b, nil
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode request body: %w", err)
	}
	return out, nil
}

// roundTrip publishes t and feeds its replies to want until want returns
// true. want runs on the caller's goroutine.
func (c *Client) roundTrip(ctx context.Context, t target, buffer int, want func(*amqp.Delivery) bool) error {
	l, err := c.link(ctx)
	if err != nil {
		return c.outcome(ctx, t, err)
	}
	cl := &call{id: uuid.NewString(), events: make(chan event, buffer), check: c.replyCheck(t)}
	pub := c.publishing(ctx, cl.id, t)
	pub.UserId = l.user
	var stop func()
	if c.cfg.ReplyMode == ReplyPerRequest {
		stop, err = c.startPerRequest(ctx, l, cl, t, pub)
	} else {
		stop, err = c.startMux(ctx, l, cl, t, pub)
	}
	if err != nil {
		return c.outcome(ctx, t, err)
	}
	defer stop()
	return c.wait(ctx, t, cl, want)
}

func (c *Client) wait(ctx context.Context, t target, cl *call, want func(*amqp.Delivery) bool) error {
	for {
		select {
		case ev := <-cl.events:
			if ev.returned != nil {
				return &NoFixtureError{Serial: t.serial, Key: ev.returned.RoutingKey, Queue: t.exchange == ""}
			}
			if want(ev.reply) {
				return nil
			}
		case <-cl.dead:
			return cl.err()
		case <-ctx.Done():
			return c.outcome(ctx, t, ctx.Err())
		case <-c.done:
			return ErrClosed
		}
	}
}

// outcome maps a context error to the request's outcome. An error that is
// an outcome already stays one: a ConnectTimeoutError, and an unreachable
// broker even when a deadline is its cause. A dial whose TCP connect hangs
// (a paused broker whose accept queue is full, a route that drops SYNs)
// fails as the context's deadline passes, with a net error that matches
// context.DeadlineExceeded or not depending on which of Go's two timers
// fired first; the request never reached the bus, so it is not a timeout.
func (c *Client) outcome(ctx context.Context, t target, err error) error {
	var connecting *ConnectTimeoutError
	if errors.As(err, &connecting) || errors.Is(err, ErrBrokerUnreachable) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return &TimeoutError{Serial: t.serial, Method: t.method}
	}
	return err
}

func (c *Client) publishing(ctx context.Context, id string, t target) amqp.Publishing {
	p := amqp.Publishing{ContentType: t.contentType, CorrelationId: id, Body: t.body,
		Timestamp: time.Now(), AppId: c.cfg.AppID}
	if deadline, ok := ctx.Deadline(); ok {
		ms := int64(math.Ceil(float64(time.Until(deadline)) / float64(time.Millisecond)))
		p.Expiration = strconv.FormatInt(max(ms, 1), 10)
		p.Headers = amqp.Table{DeadlineHeader: deadline.UnixMilli()}
	}
	return p
}
