package main

import (
	"time"

	"context"
	"errors"
	"github.com/jigmq/jigmq/mqmanager"
	"strconv"
	"sync"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The baseline is the bare amqp091-go RPC, no project code: a raw consumer
// that acks on receipt (prefetch 64, as the manager) and echoes the body to
// reply_to, and raw callers in each reply mode that publish mandatory to
// amq.topic with the contract's routing key, so the broker does the same
// routing work for both.

// contractProps, when on, makes the bare RPC carry the properties this
// contract puts on every message (docs/protocol.md): a request's
// timestamp, app_id, user_id, expiration and deadline header, a reply's
// timestamp, app_id and user_id. The broker checks user_id against the
// connection and keeps a per-message TTL for expiration, so they cost it
// CPU; the bare RPC with them is the ceiling of any client and manager of
// this contract on this broker.
type contractProps struct {
	on   bool
	user string // the URL's user, the user_id the broker accepts
}

func newContractProps(rawURL string) contractProps {
	user := "guest"
	if u, err := amqp.ParseURI(rawURL); err == nil {
		user = u.Username
	}
	return contractProps{on: true, user: user}
}

// request adds a request's properties for the deadline of ctx.
func (p contractProps) request(ctx context.Context, pub *amqp.Publishing) {
	if !p.on {
		return
	}
	pub.Timestamp, pub.AppId, pub.UserId = time.Now(), "jigbench", p.user
	if deadline, ok := ctx.Deadline(); ok {
		pub.Expiration = strconv.FormatInt(max(time.Until(deadline).Milliseconds(), 1), 10)
		pub.Headers = amqp.Table{mqmanager.DeadlineHeader: deadline.UnixMilli()}
	}
}

// reply adds a reply's properties.
func (p contractProps) reply(pub *amqp.Publishing) {
	if p.on {
		pub.Timestamp, pub.AppId, pub.UserId = time.Now(), "jigbench", p.user
	}
}

// echoServer is the baseline's server.
type echoServer struct {
	conn *amqp.Connection
	done chan struct{}
}

func startEcho(url, serial string, props contractProps) (*echoServer, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Qos(64, 0, false)
	}
	var q amqp.Queue
	if err == nil {
		q, err = ch.QueueDeclare("bench."+serial, false, true, true, false, nil)
	}
	if err == nil {
		err = ch.QueueBind(q.Name, serial+".Req.*", "amq.topic", false, nil)
	}
	var msgs <-chan amqp.Delivery
	if err == nil {
		msgs, err = ch.Consume(q.Name, "", false, true, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := &echoServer{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for d := range msgs {
			d.Ack(false)
			pub := amqp.Publishing{ContentType: d.ContentType, CorrelationId: d.CorrelationId, Body: d.Body}
			props.reply(&pub)
			ch.PublishWithContext(context.Background(), "", d.ReplyTo, false, false, pub)
		}
	}()
	return s, nil
}

func (s *echoServer) close() {
	s.conn.Close()
	<-s.done
}

// rawCaller is a baseline client in one reply mode.
type rawCaller interface {
	call(ctx context.Context, key string, body []byte) error
	close()
}

// rawMux is the shared-queue or direct reply-to caller: one channel, one
// consumer, replies matched by correlation id.
type rawMux struct {
	props   contractProps
	conn    *amqp.Connection
	ch      *amqp.Channel
	queue   string
	seq     atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan struct{}
}

func dialMux(url string, direct bool, props contractProps) (*rawMux, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	m := &rawMux{props: props, conn: conn, queue: "amq.rabbitmq.reply-to", pending: map[string]chan struct{}{}}
	m.ch, err = conn.Channel()
	if err == nil && !direct {
		var q amqp.Queue
		q, err = m.ch.QueueDeclare("", false, true, true, false, nil)
		m.queue = q.Name
	}
	var msgs <-chan amqp.Delivery
	if err == nil {
		msgs, err = m.ch.Consume(m.queue, "", true, true, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	go func() {
		for d := range msgs {
			m.mu.Lock()
			if done := m.pending[d.CorrelationId]; done != nil {
				done <- struct{}{}
			}
			m.mu.Unlock()
		}
	}()
	return m, nil
}

func (m *rawMux) call(ctx context.Context, key string, body []byte) error {
	id := strconv.FormatUint(m.seq.Add(1), 10)
	done := make(chan struct{}, 1)
	m.mu.Lock()
	m.pending[id] = done
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.pending, id)
		m.mu.Unlock()
	}()
	pub := amqp.Publishing{ContentType: "application/json", CorrelationId: id, ReplyTo: m.queue, Body: body}
	m.props.request(ctx, &pub)
	err := m.ch.PublishWithContext(ctx, "amq.topic", key, true, false, pub)
	if err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *rawMux) close() { m.conn.Close() }

// rawPerRequest is the per-request queue caller: each request declares a
// server-named exclusive queue, consumes it, publishes, waits, and cancels
// the consumer (auto-delete drops the queue). A caller reuses its channel.
type rawPerRequest struct {
	props contractProps
	conn  *amqp.Connection
	seq   atomic.Uint64
	chans chan *amqp.Channel // idle channels
}

func dialPerRequest(url string, props contractProps) (*rawPerRequest, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	return &rawPerRequest{props: props, conn: conn, chans: make(chan *amqp.Channel, 256)}, nil
}

func (p *rawPerRequest) call(ctx context.Context, key string, body []byte) error {
	var ch *amqp.Channel
	select {
	case ch = <-p.chans:
	default:
		var err error
		if ch, err = p.conn.Channel(); err != nil {
			return err
		}
	}
	err := p.roundTrip(ctx, ch, key, body)
	if err != nil {
		ch.Close()
		return err
	}
	p.chans <- ch
	return nil
}

func (p *rawPerRequest) roundTrip(ctx context.Context, ch *amqp.Channel, key string, body []byte) error {
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return err
	}
	tag := "c" + strconv.FormatUint(p.seq.Add(1), 10)
	msgs, err := ch.Consume(q.Name, tag, true, true, false, false, nil)
	if err != nil {
		return err
	}
	pub := amqp.Publishing{ContentType: "application/json", CorrelationId: tag, ReplyTo: q.Name, Body: body}
	p.props.request(ctx, &pub)
	err = ch.PublishWithContext(ctx, "amq.topic", key, true, false, pub)
	if err != nil {
		return err
	}
	select {
	case _, ok := <-msgs:
		if !ok {
			return errors.New("reply channel closed")
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	return ch.Cancel(tag, false)
}

func (p *rawPerRequest) close() { p.conn.Close() }
