package mqmanager

import (
	"context"
	"fmt"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// tutorial consumes the classic RPC tutorial's shared queue: a plugin.
type tutorial struct {
	ss         *session
	queue, tag string
	ch         *amqp.Channel
	closed     chan *amqp.Error
	deliv      <-chan amqp.Delivery
}

func (t *tutorial) open(conn *amqp.Connection) (err error) {
	if t.ch, err = conn.Channel(); err != nil {
		return fmt.Errorf("open tutorial channel: %w", err)
	}
	t.closed = t.ch.NotifyClose(make(chan *amqp.Error, 1))
	// Prefetch 1 and ack after the reply, as the tutorial does, so that
	// several managers share the queue's work fairly.
	if err = t.ch.Qos(1, 0, false); err != nil {
		return fmt.Errorf("set tutorial prefetch: %w", err)
	}
	if err = declareTutorial(t.ch, t.queue); err != nil {
		return err
	}
	if t.deliv, err = t.ch.Consume(t.queue, t.tag, false, false, false, false, nil); err != nil {
		return fmt.Errorf("consume %s: %w", t.queue, err)
	}
	return nil
}

func (t *tutorial) deliveries() <-chan amqp.Delivery { return t.deliv }

func (t *tutorial) why() error {
	select {
	case e := <-t.closed:
		return lostErr("tutorial channel", e)
	default:
		return fmt.Errorf("tutorial consumer cancelled")
	}
}

func (t *tutorial) accept(ctx, hctx context.Context, d amqp.Delivery) {
	t.ss.acceptTutorial(ctx, hctx, d)
}

func (t *tutorial) cancel() { t.ch.Cancel(t.tag, true) }

// TutorialMethod is the method name requests from the tutorial's queue are
// booked under (stats, ServerConfig.Observe).
const TutorialMethod = "tutorial"

// acceptTutorial starts the handling of one request from the classic RPC
// tutorial's queue: a plain-text body in, a plain-text body out. Unlike the
// contract's requests it is acked after the reply (prefetch 1), as the
// tutorial's own server does, so the queue's work is shared fairly. Its
// method is Fib, compute-bound: it runs on the compute lane, and finding
// that full it gets a busy answer from the general lane.
func (ss *session) acceptTutorial(ctx, hctx context.Context, d amqp.Delivery) {
	if !ss.s.authorized(ss.log, &d) {
		d.Ack(false)
		return
	}
	if d.ReplyTo == "" {
		ss.log.Warn("dropping tutorial request without reply_to", "correlation_id", d.CorrelationId)
		d.Ack(false)
		return
	}
	req := &Request{Method: TutorialMethod, Body: d.Body, size: len(d.Body)}
	ss.dropOversized(&d, req)
	if ss.lanes.enter() {
		go func() {
			defer ss.lanes.leave()
			ss.handleTutorial(hctx, d, req, true)
		}()
		return
	}
	if !ss.lanes.acquire(ctx) {
		return
	}
	go func() {
		defer ss.lanes.release()
		ss.handleTutorial(hctx, d, req, false)
	}()
}

// handleTutorial answers req, on the compute lane if placed, and acks d.
func (ss *session) handleTutorial(ctx context.Context, d amqp.Delivery, req *Request, placed bool) {
	defer d.Ack(false)
	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, ss.s.cfg.HandlerTimeout)
	defer cancel()
	out, err := ss.tutorialAnswer(hctx, req, placed)
	ss.s.observe(req.Method, err, time.Since(start))
	if err != nil {
		out = []byte("error: " + err.Error())
	}
	ss.publish(d.ReplyTo, d.CorrelationId, "text/plain", out)
}

func (ss *session) tutorialAnswer(ctx context.Context, req *Request, placed bool) ([]byte, error) {
	if err := ss.s.sizeRefusal(req); err != nil {
		return nil, err
	}
	if !placed {
		_, err := ss.busy(ctx, req)
		return nil, err
	}
	release, ok := ss.lanes.computeSlot(ctx)
	if !ok {
		return nil, jigapi.Errorf(jigapi.CodeBusy, "no compute slot free within %v", ss.s.cfg.HandlerTimeout)
	}
	defer release()
	var out []byte
	var err error
	ss.s.onCompute(func() { out, err = ss.s.cfg.Tutorial(ctx, req.Body) })
	return out, err
}
