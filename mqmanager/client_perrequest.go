package mqmanager

import (
	"context"
	"errors"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The per-request reply mode. Each request has its own exclusive,
// auto-delete reply queue, named by the client (ReplyQueuePrefix and the
// request's correlation id), on a channel taken from the link's pool. The
// queue is declared and consumed with no-wait and the request published in
// the same flight: AMQP runs a channel's methods in order, so the queue
// exists before the request is routed, and no reply can come before it. A
// declare or consume the broker refuses closes the channel: the channel's
// reader turns that close into the request's outcome (replyChanErr). When
// the request ends its consumer is cancelled, which deletes the queue, and
// once the broker has confirmed that the channel goes back to the pool; the
// caller does not wait for it (see release).

// maxIdleReplyChans bounds the idle channels a link keeps for reuse.
const maxIdleReplyChans = 64

// replyChan is a pooled channel. Its reader drains the channel's returns
// and close notification (amqp091-go sends both from the connection's
// reader, which must never block) and hands a return to the request using
// the channel, if it is the one returned.
type replyChan struct {
	ch      *amqp.Channel
	returns chan amqp.Return
	closed  chan *amqp.Error
	dead    chan struct{} // closed by the reader when the channel is gone
	err     error         // why; written before dead is closed
	mu      sync.Mutex
	cur     *call // the request using the channel, or nil
}

// replyChan takes an idle channel of the link, or opens one.
func (c *Client) replyChan(l *link) (*replyChan, error) {
	if rc := l.takeIdle(); rc != nil {
		return rc, nil
	}
	ch, err := l.conn.Channel()
	if err != nil {
		return nil, linkErr("open reply channel", err)
	}
	rc := &replyChan{ch: ch, returns: ch.NotifyReturn(make(chan amqp.Return, 16)),
		closed: ch.NotifyClose(make(chan *amqp.Error, 1)), dead: make(chan struct{})}
	if !c.spawn(func() { rc.read(c) }) {
		ch.Close()
		return nil, ErrClosed
	}
	return rc, nil
}

// takeIdle is an idle channel of the link that is still open, or nil.
func (l *link) takeIdle() *replyChan {
	for {
		select {
		case rc := <-l.idle:
			if !isClosed(rc.dead) {
				return rc
			}
		default:
			return nil
		}
	}
}

// read drains the returns until the channel closes, then records why.
func (rc *replyChan) read(c *Client) {
	for {
		select {
		case r := <-rc.returns:
			rc.mu.Lock()
			cl := rc.cur
			rc.mu.Unlock()
			if cl == nil || cl.id != r.CorrelationId {
				c.discarded.Add(1)
				continue
			}
			c.deliver(cl, event{returned: &r})
		case e := <-rc.closed:
			rc.err = replyChanErr(e)
			close(rc.dead)
			return
		}
	}
}

// replyChanErr is the outcome of a pooled channel's close: a channel
// exception (the broker refused the queue's declare or consume) is that
// refusal; anything else is the link going.
func replyChanErr(e *amqp.Error) error {
	if e == nil {
		return unreachable("reply channel closed")
	}
	switch e.Code {
	case amqp.AccessRefused, amqp.NotFound, amqp.ResourceLocked, amqp.PreconditionFailed:
		return refused("declare reply queue", e,
			"a controller's user needs configure and read on ^"+replyQueuePattern+" (deploy/rabbitmq)")
	}
	return unreachable("reply channel closed: %v", e)
}

// use marks cl as the request on the channel (nil: none).
func (rc *replyChan) use(cl *call) {
	rc.mu.Lock()
	rc.cur = cl
	rc.mu.Unlock()
}

// send declares (unless declared: a spare) and consumes queue with no-wait
// and publishes pub, in one flight. A failure of a closed channel is
// reported as why it closed.
func (rc *replyChan) send(ctx context.Context, l *link, queue string, declared bool, t target, pub amqp.Publishing) (<-chan amqp.Delivery, error) {
	if !declared {
		if _, err := rc.ch.QueueDeclare(queue, false, true, true, true, nil); err != nil {
			return nil, rc.failure(ctx, l, "declare reply queue", err)
		}
	}
	deliveries, err := rc.ch.Consume(queue, queue, true, true, false, true, nil)
	if err != nil {
		return nil, rc.failure(ctx, l, "consume "+queue, err)
	}
	pub.ReplyTo = queue
	if err := rc.ch.PublishWithContext(ctx, t.exchange, t.key, true, false, pub); err != nil {
		return nil, rc.failure(ctx, l, "publish", err)
	}
	return deliveries, nil
}

// failure is the outcome of a send that failed: for a channel that closed,
// the reason of its close (which the reader learns a moment later).
func (rc *replyChan) failure(ctx context.Context, l *link, what string, err error) error {
	if !errors.Is(err, amqp.ErrClosed) {
		return linkErr(what, err)
	}
	select {
	case <-rc.dead:
		return rc.err
	case <-l.dead:
		return unreachable("%s: connection lost", what)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release ends cl's use of the channel: its consumer is cancelled (the
// queue goes with it), and once the broker confirms the cancel the channel
// goes back to the pool, or is closed when the pool is full. A dead channel
// is dropped. The broker deletes an auto-delete queue before it confirms
// the cancel, about a millisecond on a busy broker (ten round trips): a
// channel pooled at once, with a no-wait cancel, made the next request's
// declare wait behind that deletion (no-fixture p50 3.4 ms on one reused
// channel, 1.9 ms when the next request takes another). The caller does not
// wait for this; the request's goroutine does. A short-lived client's
// channel is left as it is, its queue to the client's Close
// (ClientConfig.ShortLived).
func (rc *replyChan) release(c *Client, l *link, queue string) {
	rc.use(nil)
	if c.cfg.ShortLived || isClosed(rc.dead) || rc.ch.Cancel(queue, false) != nil {
		return
	}
	rc.pool(l)
}

// pool gives the channel back to the link, or closes it when the pool is
// full.
func (rc *replyChan) pool(l *link) {
	select {
	case l.idle <- rc:
	default:
		rc.ch.Close()
	}
}

// startPerRequest runs cl's request on a pooled channel, on a goroutine the
// client owns, and returns once it is published (see awaitPublish); the
// goroutine then forwards the queue's replies to cl until stop, and gives
// the channel back (release). stop does not wait for that: the outcome is
// known, and the client's Close waits for the goroutine.
func (c *Client) startPerRequest(ctx context.Context, l *link, cl *call, t target, pub amqp.Publishing) (stop func(), err error) {
	quit, ready, dead := make(chan struct{}), make(chan error, 1), make(chan struct{})
	var deadErr error
	cl.dead, cl.err = dead, func() error { return deadErr }
	queue, declared := c.replyQueue(l, cl, &pub)
	ok := c.spawn(func() {
		rc, err := c.replyChan(l)
		if err != nil {
			ready <- err
			return
		}
		rc.use(cl)
		defer rc.release(c, l, queue)
		deliveries, err := rc.send(ctx, l, queue, declared, t, pub)
		ready <- err
		if err != nil {
			return
		}
		deadErr = c.forward(rc, deliveries, cl, quit)
		close(dead)
	})
	if !ok {
		return nil, ErrClosed
	}
	stop = func() { close(quit) }
	if err := awaitPublish(ctx, l, ready); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// forward hands the queue's replies to cl until quit (nil), or until the
// channel goes (why).
func (c *Client) forward(rc *replyChan, deliveries <-chan amqp.Delivery, cl *call, quit <-chan struct{}) error {
	for {
		select {
		case d, ok := <-deliveries:
			if !ok {
				deliveries = nil // the channel is closing: rc.dead follows
				continue
			}
			if d.CorrelationId != cl.id {
				c.discarded.Add(1)
				continue
			}
			c.deliver(cl, event{reply: &d})
		case <-rc.dead:
			return rc.err
		case <-quit:
			return nil
		}
	}
}
