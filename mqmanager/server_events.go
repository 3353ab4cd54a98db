package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNotServing is PublishEvent's error while the server has no broker
// link: the event is not sent (events are not queued for later).
var ErrNotServing = errors.New("not connected to the broker: event not sent")

// PublishEvent publishes an event of kind for the server's serial on
// Exchange with the routing key "<serial>.Evt.<kind>" (jigapi.EventKey),
// body (JSON), user_id and the expiration ttl, so that events never pile
// up for an absent listener. It uses a channel of its own, opened on the
// first event of each broker link, so that a broker refusing the event (a
// fixture user without the right to publish it: 403 ACCESS_REFUSED closes
// that channel) never disturbs the requests; the next event opens it
// again. Between links it returns ErrNotServing at once. On a frozen link
// it blocks until the link's watchdog ends the session (about one
// heartbeat): call it from one goroutine of your own, not a handler.
func (s *Server) PublishEvent(ctx context.Context, kind string, body []byte, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.events.publish(ctx, jigapi.EventKey(s.cfg.Serial, kind), body, ttl)
}

// eventLink is the live session's event channel. mu guards the fields and
// is never held across a broker call, so that a session ending while a
// publish is blocked on a frozen link never waits for it; pub serialises
// publishers.
type eventLink struct {
	pub    sync.Mutex
	mu     sync.Mutex
	gen    uint64 // bumped by each open and close
	conn   *amqp.Connection
	ch     *amqp.Channel
	closed chan *amqp.Error // ch's NotifyClose
	user   string
	appID  string
	log    *slog.Logger
}

func (e *eventLink) open(conn *amqp.Connection, user, appID string, log *slog.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen++
	e.conn, e.ch, e.user, e.appID, e.log = conn, nil, user, appID, log
}

// close forgets the session's link; its connection's closing closes the
// channel.
func (e *eventLink) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gen++
	e.conn, e.ch = nil, nil
}

func (e *eventLink) publish(ctx context.Context, key string, body []byte, ttl time.Duration) error {
	e.pub.Lock()
	defer e.pub.Unlock()
	ch, gen, err := e.channel()
	if err != nil {
		return err
	}
	e.mu.Lock()
	user, appID := e.user, e.appID
	e.mu.Unlock()
	err = ch.PublishWithContext(ctx, Exchange, key, false, false, amqp.Publishing{
		ContentType: ContentType, Body: body, Timestamp: time.Now(), AppId: appID, UserId: user,
		Expiration: strconv.FormatInt(max(1, ttl.Milliseconds()), 10),
	})
	if err != nil {
		e.forget(gen, ch)
		return fmt.Errorf("publish %s: %w", key, err)
	}
	return nil
}

// channel returns the link's event channel, opening it if need be.
func (e *eventLink) channel() (*amqp.Channel, uint64, error) {
	e.mu.Lock()
	conn, ch, closed, gen := e.conn, e.ch, e.closed, e.gen
	e.mu.Unlock()
	if conn == nil {
		return nil, 0, ErrNotServing
	}
	if ch != nil && !ch.IsClosed() {
		return ch, gen, nil
	}
	if ch != nil {
		e.log.Warn("the broker closed the event channel: opening another", "err", closeReason(closed))
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, 0, fmt.Errorf("open event channel: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != gen {
		ch.Close()
		return nil, 0, ErrNotServing
	}
	e.ch, e.closed = ch, ch.NotifyClose(make(chan *amqp.Error, 1))
	return ch, gen, nil
}

// forget drops a channel that failed, so the next event opens another.
func (e *eventLink) forget(gen uint64, ch *amqp.Channel) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen == gen && e.ch == ch {
		e.ch = nil
	}
}

// closeReason is why a closed channel closed, waiting at most a second for
// amqp091-go to deliver it.
func closeReason(closed <-chan *amqp.Error) error {
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case e := <-closed:
		if e != nil {
			return e
		}
	case <-t.C:
	}
	return errors.New("closed")
}
