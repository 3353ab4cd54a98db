package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// FollowConfig configures FollowEvents.
type FollowConfig struct {
	Broker Broker
	// Serials are the fixtures followed; empty follows every fixture's
	// events ("*.Evt.*").
	Serials []string
	// QueueLimit bounds the events the broker holds for this follower
	// while it is slow (older ones are dropped first); default
	// DefaultFollowQueue. Prefetch bounds those delivered and not yet
	// handled; default DefaultFollowPrefetch.
	QueueLimit, Prefetch int
	// CheckUser accepts an event only from the fixture's own broker user
	// (user_id, as UserFormat makes it; default DefaultReplyUserFormat).
	CheckUser  bool
	UserFormat string
	userOf     func(serial string) string
	// ReconnectMax caps the backoff between connection attempts; default 5 s.
	ReconnectMax time.Duration
	Logger       *slog.Logger
	// OnReady, if set, is called each time the consumer is live.
	OnReady func()
	// OnDown, if set, is called with why each time a connection attempt
	// fails or the live consumer is lost, before the backoff: from then
	// until the next OnReady, events are not being seen.
	OnDown func(err error)
}

// The defaults of FollowConfig.
const (
	DefaultFollowQueue    = 1000
	DefaultFollowPrefetch = 64
)

// FollowEvents follows the fixtures' events until ctx ends, calling fn for
// each, one at a time, from its own goroutine (fn must not block for
// long: the broker holds at most QueueLimit more meanwhile). It listens
// on a server-named exclusive queue of its own, bound to Exchange with
// jigapi.EventBinding per serial, and reconnects on loss with capped,
// jittered backoff over the URLs; events published while it is away are
// not seen (they expire). An event whose body does not decode, does not
// match its routing key, or (with CheckUser) is from another user is
// logged and dropped. It returns nil when ctx ends, or an error for a
// configuration it cannot use.
func FollowEvents(ctx context.Context, cfg FollowConfig, fn func(jigapi.Event)) error {
	for _, s := range cfg.Serials {
		if err := CheckSerial(s); err != nil {
			return err
		}
	}
	if err := cfg.setDefaults(); err != nil {
		return err
	}
	nodes := newRing(cfg.Broker.urls(), 0)
	backoff := 100 * time.Millisecond
	for {
		url := nodes.take()
		ready, err := followOnce(ctx, url, &cfg, fn)
		if ctx.Err() != nil {
			return nil
		}
		if ready {
			backoff = 100 * time.Millisecond
		}
		if cfg.OnDown != nil {
			cfg.OnDown(err)
		}
		wait := jitter(backoff)
		cfg.Logger.Warn("event link down, reconnecting", "url", Redact(url), "err", err, "in", wait)
		if !sleepCtx(ctx, wait) {
			return nil
		}
		backoff = min(2*backoff, cfg.ReconnectMax)
	}
}

func (c *FollowConfig) setDefaults() (err error) {
	if c.QueueLimit <= 0 {
		c.QueueLimit = DefaultFollowQueue
	}
	if c.Prefetch <= 0 {
		c.Prefetch = DefaultFollowPrefetch
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Serials) == 0 {
		c.Serials = []string{"*"}
	}
	if c.UserFormat == "" {
		c.UserFormat = DefaultReplyUserFormat
	}
	c.userOf, err = ReplyUserFormat(c.UserFormat)
	return err
}

// followOnce is one connection's life; ready says the consumer went live.
func followOnce(ctx context.Context, url string, cfg *FollowConfig, fn func(jigapi.Event)) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := dial(dctx, url, cfg.Broker)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.close()
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	ch, deliveries, err := followSetup(conn.Connection, cfg)
	if err != nil {
		return false, err
	}
	chClosed := ch.NotifyClose(make(chan *amqp.Error, 1))
	if cfg.OnReady != nil {
		cfg.OnReady()
	}
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case e := <-closed:
			return true, lostErr("connection", e)
		case e := <-chClosed:
			return true, lostErr("channel", e)
		case d, ok := <-deliveries:
			if !ok {
				return true, errors.New("event consumer cancelled")
			}
			deliver(d, cfg, fn)
		}
	}
}

// followSetup declares the follower's queue: server-named, exclusive,
// auto-delete, at most QueueLimit events (the oldest dropped first).
func followSetup(conn *amqp.Connection, cfg *FollowConfig) (*amqp.Channel, <-chan amqp.Delivery, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(cfg.Prefetch, 0, false); err != nil {
		return nil, nil, fmt.Errorf("set prefetch: %w", err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, amqp.Table{"x-max-length": int64(cfg.QueueLimit)})
	if err != nil {
		return nil, nil, refused("declare the event queue", err, followHint)
	}
	for _, s := range cfg.Serials {
		if err := ch.QueueBind(q.Name, jigapi.EventBinding(s), Exchange, false, nil); err != nil {
			return nil, nil, refused(fmt.Sprintf("bind %s with %q", q.Name, jigapi.EventBinding(s)), err, followHint)
		}
	}
	d, err := ch.Consume(q.Name, "", false, true, false, false, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("consume %s: %w", q.Name, err)
	}
	return ch, d, nil
}

// deliver checks one event and hands it to fn.
func deliver(d amqp.Delivery, cfg *FollowConfig, fn func(jigapi.Event)) {
	defer d.Ack(false)
	var e jigapi.Event
	err := json.Unmarshal(d.Body, &e)
	if err == nil {
		err = jigapi.CheckEvent(d.RoutingKey, e)
	}
	if err == nil && cfg.CheckUser {
		if want := cfg.userOf(e.Serial); d.UserId != want {
			err = fmt.Errorf("from broker user %q, not %q", d.UserId, want)
		}
	}
	if err != nil {
		cfg.Logger.Warn("event dropped", "routing_key", d.RoutingKey, "err", err)
		return
	}
	fn(e)
}

const followHint = "a controller's broker user may declare server-named queues and bind them with " +
	"<serial>.Evt.* and *.Evt.*: see deploy/rabbitmq/add-controller.sh"
