package mqmanager

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// accept validates a delivery, marks it to be acked (a request is acked on
// receipt, before it runs, so it is never redelivered and run twice; see
// acks), and has its handler started in its lane (see lanes) once the ack is
// written. A compute request that finds its lane full is answered busy from
// the general lane.
func (ss *session) accept(ctx, hctx context.Context, d amqp.Delivery) {
	if !ss.s.authorized(ss.log, &d) {
		ss.acks.mark(&d, nil)
		return
	}
	req, ok := ss.request(&d)
	if !ok {
		ss.acks.mark(&d, nil)
		return
	}
	call := ss.call
	if ss.s.computeBound(req) {
		if ss.lanes.enter() {
			ss.acks.mark(&d, ss.starter(hctx, req, call, ss.lanes.leave))
			return
		}
		call = ss.busy
	}
	if !ss.lanes.tryAcquire() {
		ss.acks.flush() // the acks written and their handlers started before the reader waits
		if !ss.lanes.acquire(ctx) {
			return
		}
	}
	ss.acks.mark(&d, ss.starter(hctx, req, call, ss.lanes.release))
}

// starter is what starts req's handler, once its ack is written: a
// goroutine that runs it and then gives its lane's place back with done.
func (ss *session) starter(hctx context.Context, req *Request, call callFunc, done func()) func() {
	return func() {
		go func() {
			defer done()
			ss.handle(hctx, req, call)
		}()
	}
}

func (ss *session) busy(context.Context, *Request) (any, error) {
	return nil, jigapi.Errorf(jigapi.CodeBusy, "compute queue full (%d running, %d waiting): ask again later",
		ss.s.cfg.ComputeSlots, ss.s.cfg.ComputeQueue)
}

// request builds the Request of a delivery, or logs and drops one that
// cannot be answered (no reply_to or correlation_id, or not a request key).
// An oversized body is not kept: only its size, for the too_large reply.
func (ss *session) request(d *amqp.Delivery) (*Request, bool) {
	serial, method, ok := ParseRoutingKey(d.RoutingKey)
	drop := func(why string) { // a logger built only for a drop: not on every request
		ss.log.Warn(why, "routing_key", d.RoutingKey, "correlation_id", d.CorrelationId, "app_id", d.AppId)
	}
	switch {
	case !ok:
		drop("dropping message: routing key is not <serial>.Req.<Method>")
	case d.ReplyTo == "":
		drop("dropping request without reply_to")
	case d.CorrelationId == "":
		drop("dropping request without correlation_id")
	default:
		budget, _ := budgetOf(d)
		req := &Request{Serial: serial, Method: method, Body: d.Body, size: len(d.Body),
			CorrelationID: d.CorrelationId, ReplyTo: d.ReplyTo, AppID: d.AppId, UserID: d.UserId,
			Deadline: deadlineOf(d), Budget: budget, Received: time.Now()}
		ss.dropOversized(d, req)
		return req, true
	}
	ss.s.stats.dropped.Add(1)
	return nil, false
}

// handle runs one request and replies, unless its caller has given up: no
// request is run, nor answered, after its deadline.
func (ss *session) handle(ctx context.Context, req *Request, call callFunc) {
	if ss.expired(req, "before it ran") {
		return
	}
	deadline := req.Deadline
	if deadline.IsZero() {
		deadline = req.Received.Add(ss.s.cfg.HandlerTimeout)
	}
	hctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	result, err := ss.invoke(hctx, req, call)
	err = cutByStop(hctx, err, ss.s.cfg.ShutdownGrace)
	elapsed := time.Since(req.Received)
	ss.s.observe(req.Method, err, elapsed)
	if ss.expired(req, "while it waited or ran") {
		return
	}
	if err != nil {
		ss.log.Debug("error reply", "method", req.Method, "correlation_id", req.CorrelationID, "err", err)
	}
	ss.publish(req.ReplyTo, req.CorrelationID, ContentType,
		encodeReply(ss.s.cfg.Serial, req.Method, result, err, elapsed))
}

// expired reports, logs and counts a request whose caller's deadline has
// passed.
func (ss *session) expired(req *Request, when string) bool {
	if req.Deadline.IsZero() || time.Now().Before(req.Deadline) {
		return false
	}
	ss.s.stats.expired.Add(1)
	ss.log.Info("dropping expired request: no reply", "method", req.Method, "correlation_id", req.CorrelationID,
		"expired", when, "late_by", time.Since(req.Deadline))
	return true
}

type callFunc func(ctx context.Context, req *Request) (any, error)

// invoke refuses the request (too large, unknown method, not on the
// broadcast) or calls it, turning a panic into an internal error so that
// one bad handler never stops the server.
func (ss *session) invoke(ctx context.Context, req *Request, call callFunc) (result any, err error) {
	if err := ss.s.refusal(req); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			stack := debug.Stack()
			if hp, ok := p.(*handlerPanic); ok { // on a compute thread
				p, stack = hp.value, hp.stack
			}
			ss.log.Error("handler panic", "method", req.Method, "panic", p, "stack", string(stack))
			result, err = nil, jigapi.Errorf(jigapi.CodeInternal, "handler failed")
		}
	}()
	return call(ctx, req)
}

// publish sends a reply through the default exchange. A reply queue that no
// longer exists drops the reply silently at the broker; that is the caller's
// timeout, and the server goes on. amqp091-go looks at a publish's context
// only before it writes, so none is made per reply: a write blocked on a
// frozen link ends when the session closes the connection's socket (its
// probe or the broker's close notices the link's loss).
func (ss *session) publish(replyTo, corrID, contentType string, body []byte) {
	err := ss.ch.PublishWithContext(context.Background(), "", replyTo, false, false, amqp.Publishing{
		ContentType: contentType, CorrelationId: corrID, Body: body,
		Timestamp: time.Now(), AppId: ss.s.cfg.AppID, UserId: ss.user,
	})
	if err != nil {
		ss.log.Warn("reply not sent", "reply_to", replyTo, "correlation_id", corrID, "err", err)
	}
}
