package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// replyPath is a channel consuming replies, with its returns and its close
// notification. Each Notify channel is buffered and read by one reader.
type replyPath struct {
	ch         *amqp.Channel
	queue      string
	deliveries <-chan amqp.Delivery
	returns    chan amqp.Return
	closed     chan *amqp.Error
}

// openReplyPath opens a channel that consumes the direct reply-to
// pseudo-queue, or a fresh server-named exclusive queue.
func openReplyPath(conn *amqp.Connection, direct bool) (rp replyPath, err error) {
	if rp.ch, err = conn.Channel(); err != nil {
		return rp, linkErr("open reply channel", err)
	}
	rp.closed = rp.ch.NotifyClose(make(chan *amqp.Error, 1))
	rp.returns = rp.ch.NotifyReturn(make(chan amqp.Return, 16))
	rp.queue = DirectReplyQueue
	if !direct {
		q, err := rp.ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			rp.ch.Close()
			return rp, linkErr("declare reply queue", err)
		}
		rp.queue = q.Name
	}
	if rp.deliveries, err = rp.ch.Consume(rp.queue, "", true, !direct, false, false, nil); err != nil {
		rp.ch.Close()
		return rp, linkErr("consume "+rp.queue, err)
	}
	return rp, nil
}

// linkErr classifies a broker call's error. The link failing under the
// call (a closed connection, a transport error, a broker shutting down) is
// the broker being unreachable; a refusal by the broker (a permission, a
// precondition) is itself.
func linkErr(what string, err error) error {
	var ae *amqp.Error
	if !errors.As(err, &ae) || errors.Is(err, amqp.ErrClosed) || !ae.Server || ae.Code == amqp.ConnectionForced {
		return unreachable("%s: %v", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// read is a reply path's one reader: it dispatches every reply and return
// by correlation id until the channel closes or quit is closed.
func (rp replyPath) read(quit <-chan struct{}, dispatch func(id string, ev event)) error {
	for {
		select {
		case d, ok := <-rp.deliveries:
			if !ok {
				return unreachable("reply channel closed")
			}
			dispatch(d.CorrelationId, event{reply: &d})
		case r, ok := <-rp.returns:
			if !ok {
				rp.returns = nil
				continue
			}
			dispatch(r.CorrelationId, event{returned: &r})
		case e := <-rp.closed:
			return unreachable("reply channel closed: %v", e)
		case <-quit:
			return nil
		}
	}
}

// deliver hands ev to cl without blocking; a full buffer means a duplicate.
// A reply that fails cl's reply-user check never takes a place in it.
func (c *Client) deliver(cl *call, ev event) {
	if ev.reply != nil && cl.check != nil && !cl.check(ev.reply) {
		return
	}
	select {
	case cl.events <- ev:
	default:
		c.discarded.Add(1)
	}
}

// awaitPublish waits for a publish running on a goroutine the client owns:
// amqp091-go's publish does not honour its context, and a link whose peer
// stopped reading blocks it until the link is declared dead. So the caller
// waits only until its ctx ends or the link dies; the goroutine ends once
// the link is closed (link.watch or Close closes its socket).
func awaitPublish(ctx context.Context, l *link, published <-chan error) error {
	select {
	case err := <-published:
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // the publish gave up because the caller did
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-l.dead:
		return unreachable("connection lost while publishing")
	}
}

// mux is the reply path shared by every request on a link (shared queue or
// direct reply-to): pending calls keyed by correlation id, one reader.
type mux struct {
	rp      replyPath
	ready   chan struct{} // closed once setup ended; then setupErr or rp is valid
	dead    chan struct{} // closed when the reply path is gone
	err     error         // why; written before dead is closed
	mu      sync.Mutex
	pending map[string]*call
}

func (m *mux) dispatch(c *Client, id string, ev event) {
	m.mu.Lock()
	cl := m.pending[id]
	m.mu.Unlock()
	if cl == nil {
		c.discarded.Add(1)
		return
	}
	c.deliver(cl, ev)
}

// getMux returns the link's reply multiplexer, starting it on first use or
// after its channel died.
func (c *Client) getMux(ctx context.Context, l *link) (*mux, error) {
	l.muxMu.Lock()
	m := l.mux
	if m == nil || isClosed(m.dead) {
		m = &mux{ready: make(chan struct{}), dead: make(chan struct{}), pending: map[string]*call{}}
		if !c.spawn(func() { c.runMux(l, m) }) {
			l.muxMu.Unlock()
			return nil, ErrClosed
		}
		l.mux = m
	}
	l.muxMu.Unlock()
	select {
	case <-m.ready:
		if isClosed(m.dead) {
			return nil, m.err
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Client) runMux(l *link, m *mux) {
	rp, err := openReplyPath(l.conn.Connection, c.cfg.ReplyMode == ReplyDirect)
	if err != nil {
		m.err = err
		close(m.dead)
		close(m.ready)
		return
	}
	m.rp = rp
	close(m.ready)
	m.err = rp.read(nil, func(id string, ev event) { m.dispatch(c, id, ev) })
	close(m.dead)
}

// startMux registers cl with the link's multiplexer and publishes on a
// goroutine the client owns (see awaitPublish).
func (c *Client) startMux(ctx context.Context, l *link, cl *call, t target, pub amqp.Publishing) (stop func(), err error) {
	m, err := c.getMux(ctx, l)
	if err != nil {
		return nil, err
	}
	cl.dead, cl.err = m.dead, func() error { return m.err }
	m.mu.Lock()
	m.pending[cl.id] = cl
	m.mu.Unlock()
	stop = func() {
		m.mu.Lock()
		delete(m.pending, cl.id)
		m.mu.Unlock()
	}
	pub.ReplyTo = m.rp.queue
	published := make(chan error, 1)
	ok := c.spawn(func() {
		if err := m.rp.ch.PublishWithContext(ctx, t.exchange, t.key, true, false, pub); err != nil {
			published <- linkErr("publish", err)
			return
		}
		published <- nil
	})
	if !ok {
		stop()
		return nil, ErrClosed
	}
	if err := awaitPublish(ctx, l, published); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
