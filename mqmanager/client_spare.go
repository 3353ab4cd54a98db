package mqmanager

import (
	"sync/atomic"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Spare reply queues for the per-request mode. On a busy broker the
// queue.declare is most of a per-request round trip, and the no-fixture
// return waits for it: on this project's shared RabbitMQ 3.10 a waited
// declare takes 1.5 ms at p50 and up to 5 ms at p90, a round trip 0.11 ms.
// So a long-lived client keeps a few queues declared ahead of its requests.
// Each is still fresh, exclusive and auto-delete, named for the request that
// takes it (ReplyQueuePrefix and its correlation id), used by that request
// only and deleted after it. A spare is offered only once the broker has
// confirmed its declare, so a request consuming it and publishing on another
// channel of the link is never routed before its queue exists. A
// short-lived client keeps none: it would declare, and wait at its Close
// for the deletion of, queues it never uses.

// spareReplyQueues is how many queues a link keeps declared ahead. In a raw
// loop of no-fixture requests on the shared broker, p99 went from 11.7 ms
// with none to 4.3 ms with one and 6.3-6.7 ms with two or three; with 5 ms
// between requests, p50 2.0 -> 0.5 ms and p99 20.8 -> 4.7 ms with one,
// 2.8-3.0 ms with two or three.
const spareReplyQueues = 2

// spares are a link's reply queues declared ahead.
type spares struct {
	ready  chan string   // correlation ids whose queue is declared
	tokens chan struct{} // one per spare declared or being declared
	failed atomic.Bool   // a declare failed: the link declares no more ahead
}

func newSpares() *spares {
	return &spares{ready: make(chan string, spareReplyQueues), tokens: make(chan struct{}, spareReplyQueues)}
}

// take returns the correlation id of a declared spare, or "" if there is none.
func (s *spares) take() string {
	select {
	case id := <-s.ready:
		<-s.tokens
		return id
	default:
		return ""
	}
}

// replyQueue names cl's reply queue: a spare if l has one declared (the
// request then takes the spare's correlation id, and pub with it), else
// the request's own, to be declared in its flight. Either way l declares
// another spare ahead. A spare taken by a request that fails before its
// consume is left to the connection's close: never consumed, it is never
// auto-deleted.
func (c *Client) replyQueue(l *link, cl *call, pub *amqp.Publishing) (queue string, declared bool) {
	if id := l.spares.take(); id != "" {
		cl.id, pub.CorrelationId, declared = id, id, true
	}
	c.refill(l)
	return ReplyQueuePrefix + cl.id, declared
}

// refill declares spares of l, each on a goroutine the client owns, until
// spareReplyQueues are declared or being declared; none once one failed
// on l.
func (c *Client) refill(l *link) {
	for !c.cfg.ShortLived && !l.spares.failed.Load() {
		select {
		case l.spares.tokens <- struct{}{}:
		default:
			return
		}
		if !c.spawn(func() { c.declareSpare(l) }) {
			<-l.spares.tokens
			return
		}
	}
}

// declareSpare declares a queue on a pooled channel and waits for the
// broker's declare-ok before offering it. A failure (a refused declare, a
// link going) stops l's spares; the requests then declare their own, and a
// refusal is their outcome.
func (c *Client) declareSpare(l *link) {
	rc, err := c.replyChan(l)
	if err != nil {
		c.spareFailed(l)
		return
	}
	id := uuid.NewString()
	if _, err := rc.ch.QueueDeclare(ReplyQueuePrefix+id, false, true, true, false, nil); err != nil {
		c.spareFailed(l) // the refusal closed the channel: the pool drops it
		return
	}
	rc.pool(l)
	l.spares.ready <- id // never blocks: its token is held
}

func (c *Client) spareFailed(l *link) {
	l.spares.failed.Store(true)
	<-l.spares.tokens
}
