package main

import (
	"context"
	"errors"
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

// echoServer is the baseline's server.
type echoServer struct {
	conn *amqp.Connection
	done chan struct{}
}

func startEcho(url, serial string) (*echoServer, error) {
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
			ch.PublishWithContext(context.Background(), "", d.ReplyTo, false, false, amqp.Publishing{
				ContentType: d.ContentType, CorrelationId: d.CorrelationId, Body: d.Body})
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
	conn    *amqp.Connection
	ch      *amqp.Channel
	queue   string
	seq     atomic.Uint64
	mu      sync.Mutex
	pending map[string]chan struct{}
}

func dialMux(url string, direct bool) (*rawMux, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	m := &rawMux{conn: conn, queue: "amq.rabbitmq.reply-to", pending: map[string]chan struct{}{}}
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
	err := m.ch.PublishWithContext(ctx, "amq.topic", key, true, false, amqp.Publishing{
		ContentType: "application/json", CorrelationId: id, ReplyTo: m.queue, Body: body})
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
	conn  *amqp.Connection
	seq   atomic.Uint64
	chans chan *amqp.Channel // idle channels
}

func dialPerRequest(url string) (*rawPerRequest, error) {
	conn, err := amqp.Dial(url)
	if err != nil {
		return nil, err
	}
	return &rawPerRequest{conn: conn, chans: make(chan *amqp.Channel, 256)}, nil
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
	err = ch.PublishWithContext(ctx, "amq.topic", key, true, false, amqp.Publishing{
		ContentType: "application/json", CorrelationId: tag, ReplyTo: q.Name, Body: body})
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
