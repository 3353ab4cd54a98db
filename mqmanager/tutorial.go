package mqmanager

import (
	"context"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// acceptTutorial starts the handling of one request from the classic RPC
// tutorial's queue: a plain-text body in, a plain-text body out. Unlike the
// contract's requests it is acked after the reply (prefetch 1), as the
// tutorial's own server does, so the queue's work is shared fairly.
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
	if !ss.inflight.acquire(ctx) {
		return
	}
	go func() {
		defer ss.inflight.release()
		ss.handleTutorial(hctx, d)
		d.Ack(false)
	}()
}

func (ss *session) handleTutorial(ctx context.Context, d amqp.Delivery) {
	start := time.Now()
	hctx, cancel := context.WithTimeout(ctx, ss.s.cfg.HandlerTimeout)
	defer cancel()
	var out []byte
	var err error
	if len(d.Body) > ss.s.cfg.MaxBody {
		err = Errorf(CodeTooLarge, "body is %d bytes, the limit is %d", len(d.Body), ss.s.cfg.MaxBody)
	} else {
		out, err = ss.s.cfg.Tutorial(hctx, d.Body)
	}
	ss.s.stats.record("tutorial", err, time.Since(start))
	contentType := "text/plain"
	if err != nil {
		out = []byte("error: " + err.Error())
	}
	ss.publish(d.ReplyTo, d.CorrelationId, contentType, out)
}
