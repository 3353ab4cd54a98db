package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Handler answers one request. The result is marshalled to JSON as the
// envelope's "result"; an *Error becomes an error reply with its code, any
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

// ServerConfig configures a Server. Zero fields take the documented defaults.
type ServerConfig struct {
	Broker Broker
	Serial string // the fixture served; required
	// Prefetch is how many requests the broker sends ahead; default 64.
	Prefetch int
	// Concurrency is how many handlers run at once; default 16.
	Concurrency int
	// MaxBody is the largest request body in bytes; default 64 KiB.
	MaxBody int
	// HandlerTimeout bounds a request that carries no deadline; default 30 s.
	HandlerTimeout time.Duration
	// ShutdownGrace is how long a stop waits for handlers in flight; default 5 s.
	ShutdownGrace time.Duration
	// ReconnectMin and ReconnectMax bound the jittered, doubling backoff
	// between connection attempts; defaults 100 ms and 5 s.
	ReconnectMin, ReconnectMax time.Duration
	// TutorialQueue, if set, is also consumed (RabbitMQ's RPC tutorial
	// queue, e.g. "rpc_queue") and answered by Tutorial.
	TutorialQueue string
	Tutorial      TutorialFunc
	// AppID is set on replies; default "jig-manager".
	AppID string
	// ControllerUsers, when set, are the only broker users whose requests
	// are served: a request whose user_id (validated by the broker) is
	// missing or not one of them is acked and dropped without a reply,
	// logged and counted (ServerStats.Rejected). Empty serves anyone: for
	// development only (the demo's single guest user).
	ControllerUsers []string
	// Logger receives the server's logs; nil logs nothing.
	Logger *slog.Logger
	// OnReady, if set, is called each time the consumer is live (after
	// every connect); OnDown each time the broker link is lost; OnRetry
	// before each wait to connect again, with why: a failed attempt's
	// error, or the lost link's (after OnDown). They are called from Run's
	// goroutine, one at a time, and must not block.
	OnReady func()
	OnDown  func(err error)
	OnRetry func(err error)
}

func (c *ServerConfig) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Prefetch, 64)
	def(&c.Concurrency, 16)
	def(&c.MaxBody, 64<<10)
	defDur(&c.HandlerTimeout, 30*time.Second)
	defDur(&c.ShutdownGrace, 5*time.Second)
	defDur(&c.ReconnectMin, 100*time.Millisecond)
	defDur(&c.ReconnectMax, 5*time.Second)
	if c.AppID == "" {
		c.AppID = "jig-manager"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server answers the requests for one fixture serial.
type Server struct {
	cfg      ServerConfig
	handlers map[string]Handler
	stats    *statsBook
	// users maps each URL to the user_id of its replies; controllers are
	// the users whose requests are served (nil: any).
	users       map[string]string
	controllers userSet
	node        nodeName // the node served from now (Node)
}

// NewServer checks cfg and returns a Server with no handlers.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := CheckSerial(cfg.Serial); err != nil {
		return nil, err
	}
	if cfg.TutorialQueue != "" && cfg.Tutorial == nil {
		return nil, errors.New("tutorial queue configured without a tutorial handler")
	}
	users, err := cfg.Broker.publishUsers()
	if err != nil {
		return nil, err
	}
	cfg.setDefaults()
	warnNoUser(cfg.Logger, users)
	return &Server{cfg: cfg, handlers: map[string]Handler{}, stats: newStatsBook(), users: users,
		controllers: newUserSet(cfg.ControllerUsers)}, nil
}

// Node is the broker node (host:port, see NodeOf) the server is serving
// from now, "" while it is between links.
func (s *Server) Node() string { return s.node.get() }

// Handle registers h for method. Call it before Run.
func (s *Server) Handle(method string, h Handler) { s.handlers[method] = h }

// Run serves until ctx ends, then stops consuming, finishes the requests in
// flight (up to ShutdownGrace) and returns nil. A lost broker link is
// reconnected forever, over the URLs in turn from a random first one (see
// nodes.go), with capped jittered backoff.
// Run returns an error only when the serial is already served by another
// manager, or the broker refuses our credentials, our permissions, or the
// URL's vhost (530 NOT_ALLOWED on connection.open: no permissions there, or
// no such vhost), before the first successful start: all need a person,
// not a retry. After it, all are retried like a lost link: a queue still
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
		if !served && (errors.Is(err, ErrAlreadyServed) || isAccessRefused(err) || errors.Is(err, errVhostRefused)) {
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

// inflight tracks the handlers of one session: a semaphore bounding them and
// a WaitGroup the session waits on before it returns.
type inflight struct {
	sem   chan struct{}
	wg    sync.WaitGroup
	count *atomic.Int64 // the server's gauge of handlers running
}

func (f *inflight) acquire(ctx context.Context) bool {
	select {
	case f.sem <- struct{}{}:
		f.wg.Add(1)
		f.count.Add(1)
		return true
	case <-ctx.Done():
		return false
	}
}

func (f *inflight) release() {
	f.count.Add(-1)
	<-f.sem
	f.wg.Done()
}

// wait waits for the handlers in flight, at most grace; then it cancels them
// and waits for them to return.
func (f *inflight) wait(grace time.Duration, cancel context.CancelFunc) {
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancel()
		<-done
	}
}

func lostErr(what string, e *amqp.Error) error {
	if e == nil {
		return fmt.Errorf("%s closed", what)
	}
	return fmt.Errorf("%s closed: %w", what, e)
}
