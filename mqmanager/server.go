package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Handler answers one request. The result is marshalled to JSON as the
// envelope's "result"; an *jigapi.Error becomes an error reply with its code, any
// other error an "internal" one. ctx ends at the caller's deadline.
type Handler interface {
	Handle(ctx context.Context, req *Request) (any, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (any, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, req *Request) (any, error) { return f(ctx, req) }

// TutorialFunc answers the classic RPC tutorial's plain-text requests.
type TutorialFunc func(ctx context.Context, body []byte) ([]byte, error)

// Server answers the requests for one fixture serial.
type Server struct {
	cfg    ServerConfig
	routes map[string]route
	stats  *statsBook
	// users maps each URL to the user_id of its replies; controllers are
	// the users whose requests are served (nil: any).
	users       map[string]string
	controllers userSet
	node        nodeName  // the node served from now (Node)
	events      eventLink // the live session's event channel (PublishEvent)
	niceOnce    sync.Once // compute threads at normal priority, logged once
}

// NewServer checks cfg and returns a Server with no handlers.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := CheckSerial(cfg.Serial); err != nil {
		return nil, err
	}
	if cfg.TutorialQueue != "" && cfg.Tutorial == nil {
		return nil, errors.New("tutorial queue configured without a tutorial handler")
	}
	if err := CheckQueueName(cfg.TutorialQueue); err != nil {
		return nil, fmt.Errorf("tutorial queue: %w", err)
	}
	users, err := cfg.Broker.publishUsers()
	if err != nil {
		return nil, err
	}
	cfg.setDefaults()
	warnNoUser(cfg.Logger, users)
	return &Server{cfg: cfg, routes: map[string]route{}, stats: newStatsBook(), users: users,
		controllers: newUserSet(cfg.ControllerUsers)}, nil
}

// Node is the broker node (host:port, see NodeOf) the server is serving
// from now, "" while it is between links.
func (s *Server) Node() string { return s.node.get() }

// Run serves until ctx ends, then stops consuming, finishes the requests in
// flight (up to ShutdownGrace) and returns nil. A lost broker link is
// reconnected forever, over the URLs in turn from a random first one (see
// nodes.go), with capped jittered backoff.
// Run returns an error only when the serial is already served by another
// manager, the tutorial queue is another connection's exclusive queue
// (ErrTutorialLocked: another manager's, most often), or the broker
// refuses our credentials, our permissions, or the URL's vhost (530
// NOT_ALLOWED on connection.open: no permissions there, or no such vhost),
// before the first successful start: all need a person, not a retry. After it, all are retried like a lost link: a queue still
// held when reconnecting is most often our own previous connection, not yet
// dropped by the broker, and a refusal then is an operator changing the
// user's rights or the broker's definitions, which the backoff rides out
// (a broker restart causes none: RabbitMQ opens its listeners only once
// users and permissions are loaded).
func (s *Server) Run(ctx context.Context) error {
	nodes := randomRing(s.cfg.Broker.urls())
	log := s.cfg.Logger.With("serial", s.cfg.Serial)
	served := false
	backoff := s.cfg.ReconnectMin
	for {
		s.stats.alive()
		url := nodes.take()
		ready, err := s.session(ctx, url, log)
		s.node.set("")
		served = served || ready
		if ctx.Err() != nil {
			return nil
		}
		if !served && needsPerson(err) {
			return err
		}
		if errors.Is(err, ErrAlreadyServed) {
			nodes.again(url)
		}
		if ready {
			backoff = s.cfg.ReconnectMin
			s.stats.reconnects.Add(1)
			if s.cfg.OnDown != nil {
				s.cfg.OnDown(err)
			}
		}
		wait := jitter(backoff)
		s.logRetry(log, url, err, wait)
		if s.cfg.OnRetry != nil {
			s.cfg.OnRetry(err)
		}
		if !sleepCtx(ctx, wait) {
			return nil
		}
		backoff = min(backoff*2, s.cfg.ReconnectMax)
	}
}

// logRetry says why the server connects again. Once it has served, a queue
// still held by another connection is retried like a lost link: it is
// usually our own previous connection, which the broker has not yet found
// dead (it does within a few heartbeats), or a connection on its way out.
func (s *Server) logRetry(log *slog.Logger, url string, err error, wait time.Duration) {
	if errors.Is(err, ErrAlreadyServed) {
		log.Warn("queue still held by another connection, retrying", "queue", QueueName(s.cfg.Serial),
			"url", Redact(url), "node", NodeOf(url), "in", wait)
		return
	}
	log.Warn("broker link down, reconnecting", "url", Redact(url), "node", NodeOf(url), "err", err, "in", wait)
}

// needsPerson reports the errors Run returns before its first start (see
// Run): no retry fixes them.
func needsPerson(err error) bool {
	return errors.Is(err, ErrAlreadyServed) || errors.Is(err, ErrTutorialLocked) ||
		isAccessRefused(err) || errors.Is(err, errVhostRefused)
}

func isAccessRefused(err error) bool {
	var e *amqp.Error
	return errors.As(err, &e) && e.Code == amqp.AccessRefused
}

// jitter spreads d over [d/2, d) so a fleet does not reconnect in step.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func lostErr(what string, e *amqp.Error) error {
	if e == nil {
		return fmt.Errorf("%s closed", what)
	}
	return fmt.Errorf("%s closed: %w", what, e)
}
