package mqmanager

import (
	"context"
	"fmt"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A link can die silently: a cable pulled, a stalled NAT, a black-holed
// route. amqp091-go notices only after several missed heartbeats, and any
// broker call blocks until then. So a session probes the broker with a
// cheap round trip every half heartbeat; the session's reader ends the
// session when no probe has come back within a heartbeat, so a dead link is
// noticed within 1.5 heartbeats plus the one-second close.
//
// The probe is a passive declare of the session's own queue, so it also
// finds the queue gone from the broker's records while the session still
// consumes from it. RabbitMQ 3.x does that to a manager that re-homes fast:
// when a node dies, each survivor lists the dead node's queues by name, then
// deletes them by name in later transactions, so a queue declared again
// under the same name on another node in between loses its record and its
// bindings. Its consumer is not told; requests find no queue and fail as no
// fixture, for good. A session whose probe finds its queue gone ends, and
// the next one declares the queue again.

// closeGrace bounds the close handshake on a link that may be dead.
const closeGrace = time.Second

// prober runs the probe loop on its own channel; alive gets a value after
// each answered probe, gone the error of a probe that found the queue
// missing. Its goroutine is owned by the session that started it and waited
// for by stop, after the connection is closed.
type prober struct {
	alive  chan struct{}
	gone   chan error
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newProber() *prober {
	ctx, cancel := context.WithCancel(context.Background())
	return &prober{alive: make(chan struct{}, 1), gone: make(chan error, 1), ctx: ctx, cancel: cancel}
}

// start probes queue on conn every so often, from now until stop.
func (p *prober) start(conn *amqp.Connection, queue string, every time.Duration) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.run(conn, queue, every)
	}()
}

func (p *prober) run(conn *amqp.Connection, queue string, every time.Duration) {
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	defer ch.Close()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		if _, err := ch.QueueDeclarePassive(queue, false, true, true, false, nil); err != nil {
			if e, ok := err.(*amqp.Error); ok && e.Code == amqp.NotFound {
				p.gone <- fmt.Errorf("queue %s is gone from the broker's records, though still consumed (%s): declaring it again", queue, e.Reason)
			}
			return
		}
		select {
		case p.alive <- struct{}{}:
		default:
		}
		t.Reset(every)
	}
}

// stop ends the loop; the connection must be closed (or closing) so that a
// probe blocked on a dead link returns.
func (p *prober) stop() {
	p.cancel()
	p.wg.Wait()
}

// guard closes conn if the calls between guard and the returned stop take
// longer than limit, so that setup on a dead link fails instead of hanging.
// stop waits for the closing, if it started.
func guard(conn *wire, limit time.Duration) (stop func()) {
	fired := make(chan struct{})
	t := time.AfterFunc(limit, func() {
		conn.close()
		close(fired)
	})
	return func() {
		if !t.Stop() {
			<-fired
		}
	}
}
