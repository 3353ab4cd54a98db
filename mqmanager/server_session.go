package mqmanager

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// session is one broker connection's life: declare, consume, serve until the
// link is lost or ctx ends. Every object is fresh; nothing outlives it.
type session struct {
	s       *Server
	log     *slog.Logger
	ch      *amqp.Channel // requests and replies
	acks    *acks         // of the requests, batched
	tag     string
	user    string // user_id of replies: the connection's user
	lanes   *lanes
	release *releaser // gives memory back after oversized bodies
	// plugins are consumed beside the core queue (see plugin); each has a
	// reader goroutine, counted in readers, that forwards its deliveries on
	// plugged and reports their end on ended.
	plugins []plugin
	readers sync.WaitGroup
	plugged chan plugged
	ended   chan error
}

// session connects to url and serves; ready reports whether the consumer
// went live. The returned error says why it ended.
func (s *Server) session(ctx context.Context, url string, log *slog.Logger) (ready bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, s.setupLimit())
	conn, err := dial(dctx, url, s.cfg.Broker)
	cancel()
	if err != nil {
		return false, err
	}
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	ss := &session{s: s, log: log, tag: "jig-manager-" + uuid.NewString(),
		lanes: newLanes(&s.cfg, &s.stats.inflight), release: newReleaser()}
	ss.user = s.users[url]
	ss.plugins = s.plugins(ss)
	ss.plugged, ss.ended = make(chan plugged), make(chan error, len(ss.plugins))
	probe := newProber()
	// On the way out: close the link (a blocked call returns), then wait for
	// the plugins' readers, the handlers and the prober.
	defer probe.stop()
	defer ss.lanes.wg.Wait()
	defer ss.readers.Wait()
	defer conn.close()
	stopGuard := guard(conn, s.setupLimit())
	links, err := ss.setup(conn.Connection)
	stopGuard()
	if err != nil {
		return false, err
	}
	s.node.set(url)
	s.events.open(conn.Connection, ss.user, s.cfg.AppID, log)
	defer s.events.close()
	log.Info("serving", "url", Redact(url), "node", NodeOf(url), "queue", QueueName(s.cfg.Serial), "tutorial_queue", s.cfg.TutorialQueue)
	if s.cfg.OnReady != nil {
		s.cfg.OnReady()
	}
	probe.start(conn.Connection, QueueName(s.cfg.Serial), s.heartbeat()/2)
	links.connClosed, links.alive, links.gone = connClosed, probe.alive, probe.gone
	return true, ss.serve(ctx, links)
}

func (s *Server) heartbeat() time.Duration {
	if s.cfg.Broker.Heartbeat > 0 {
		return s.cfg.Broker.Heartbeat
	}
	return DefaultHeartbeat
}

// setupLimit bounds connecting and declaring: a link that cannot do that in
// two heartbeats (at least 5 s) is not worth waiting on.
func (s *Server) setupLimit() time.Duration { return max(2*s.heartbeat(), 5*time.Second) }

// links are what a session's reader watches.
type links struct {
	req                  <-chan amqp.Delivery
	connClosed, chClosed chan *amqp.Error
	alive                <-chan struct{} // a probe came back
	gone                 <-chan error    // a probe found the queue gone
}

// setup opens the channels, declares the topology and starts the consumers.
// Every Notify channel is buffered and read by serve.
func (ss *session) setup(conn *amqp.Connection) (l links, err error) {
	cfg := &ss.s.cfg
	if ss.ch, err = conn.Channel(); err != nil {
		return l, fmt.Errorf("open channel: %w", err)
	}
	l.chClosed = ss.ch.NotifyClose(make(chan *amqp.Error, 1))
	if err = ss.ch.Qos(cfg.Prefetch, 0, false); err != nil {
		return l, fmt.Errorf("set prefetch: %w", err)
	}
	queue, err := declareServer(ss.ch, cfg.Serial)
	if err != nil {
		return l, err
	}
	if l.req, err = ss.ch.Consume(queue, ss.tag, false, true, false, false, nil); err != nil {
		return l, fmt.Errorf("consume %s: %w", queue, err)
	}
	ss.acks = newAcks(ss.ch, cfg.Prefetch)
	for _, p := range ss.plugins {
		if err = p.open(conn); err != nil {
			return l, err
		}
	}
	return l, nil
}

// serve is the session's one reader: it hands each delivery to a handler
// goroutine (see lanes) and watches the link.
func (ss *session) serve(ctx context.Context, l links) error {
	hctx, hcancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer hcancel(nil)
	limit := ss.s.heartbeat()
	watchdog := time.NewTimer(limit)
	defer watchdog.Stop()
	defer ss.release.stop()
	quit := make(chan struct{})
	defer close(quit)
	for _, p := range ss.plugins {
		ss.readers.Add(1)
		go ss.forward(p, quit)
	}
	for {
		select {
		case <-ss.release.due():
			ss.release.now(ss.log)
		case <-l.alive:
			ss.s.stats.alive()
			watchdog.Reset(limit)
		case err := <-l.gone:
			return ss.lost(err, hcancel)
		case <-watchdog.C:
			return ss.lost(fmt.Errorf("broker did not answer a probe within %v: link dead", limit), hcancel)
		case <-ctx.Done():
			ss.stop(hcancel)
			return nil
		case e := <-l.connClosed:
			return ss.lost(lostErr("connection", e), hcancel)
		case e := <-l.chClosed:
			return ss.lost(lostErr("channel", e), hcancel)
		case pd := <-ss.plugged:
			pd.p.accept(ctx, hctx, pd.d)
		case err := <-ss.ended:
			return ss.lost(err, hcancel)
		case d, ok := <-l.req:
			if !ok {
				return ss.lost(fmt.Errorf("consumer cancelled"), hcancel)
			}
			ss.accept(ctx, hctx, d)
			ss.acceptReady(ctx, hctx, l.req)
		}
	}
}

// acceptReady accepts the deliveries that are ready now, up to a batch of
// acks, then flushes the acks: a burst of requests is acked in one frame.
func (ss *session) acceptReady(ctx, hctx context.Context, req <-chan amqp.Delivery) {
	defer ss.acks.flush()
	for ss.acks.pending() {
		select {
		case d, ok := <-req:
			if !ok {
				return // the loop sees the close next
			}
			ss.accept(ctx, hctx, d)
		default:
			return
		}
	}
}

// stop stops consuming and finishes the requests in flight, cancelled
// (with ErrStopped, see cutByStop) once ShutdownGrace has passed since the
// stop began: OnStop's wait for its last event counts in it, so that a
// stop takes no longer than the grace and the link's close.
func (ss *session) stop(cancel context.CancelCauseFunc) {
	grace := ss.s.cfg.ShutdownGrace
	end := time.Now().Add(grace)
	ss.log.Info("stopping: finishing requests in flight", "grace", grace)
	// noWait: a cancel must not block on a link that may be dead.
	ss.ch.Cancel(ss.tag, true)
	for _, p := range ss.plugins {
		p.cancel()
	}
	if ss.s.cfg.OnStop != nil {
		ss.s.cfg.OnStop()
	}
	ss.lanes.wait(time.Until(end), func() {
		ss.log.Warn("shutdown grace passed: cancelling the requests in flight", "grace", grace,
			"in_flight", ss.s.stats.inflight.Load())
		cancel(ErrStopped)
	})
}

// lost ends a session whose link is gone: the handlers cannot reply any
// more, so they are cancelled; the session waits for them once the
// connection is closed.
func (ss *session) lost(err error, cancel context.CancelCauseFunc) error {
	cancel(err)
	return err
}
