package mqmanager

import (
	"context"
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

// closeGrace bounds the close handshake on a link that may be dead.
const closeGrace = time.Second

// prober runs the probe loop on its own channel; alive gets a value after
// each answered probe. Its goroutine is owned by the session that started it
// and waited for by stop, after the connection is closed.
type prober struct {
	alive  chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startProber(conn *amqp.Connection, every time.Duration) *prober {
	ctx, cancel := context.WithCancel(context.Background())
	p := &prober{alive: make(chan struct{}, 1), cancel: cancel}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.run(ctx, conn, every)
	}()
	return p
}

func (p *prober) run(ctx context.Context, conn *amqp.Connection, every time.Duration) {
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	defer ch.Close()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Any synchronous method does; amq.topic always exists.
		if err := ch.ExchangeDeclarePassive(Exchange, "topic", true, false, false, false, nil); err != nil {
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
