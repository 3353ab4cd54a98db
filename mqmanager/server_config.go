package mqmanager

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
)

// ServerConfig configures a Server. Zero fields take the documented defaults.
type ServerConfig struct {
	Broker Broker
	Serial string // the fixture served; required
	// ServerLimits bound the server's work.
	ServerLimits
	// Prefetch is how many requests the broker sends ahead; default
	// DefaultPrefetch. It bounds the request bodies a server holds: at
	// most Prefetch+1, each up to the broker's max_message_size.
	Prefetch int
	// ReconnectMin and ReconnectMax bound the jittered, doubling backoff
	// between connection attempts; defaults DefaultReconnectMin and
	// DefaultReconnectMax.
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
	// logged and counted (jigapi.ServerStats.Rejected). Empty serves anyone: for
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
	// OnStop, if set, is called once when Run's context ends while the
	// server is connected, after it stopped consuming and before it
	// finishes the requests in flight: the link, and PublishEvent, still
	// work during the call, which should be short (the drain waits for it).
	OnStop func()
	// Observe, if set, is told each request run, once, after its handler
	// returned and before its reply is sent (see ObserveFunc). It is called
	// from the request's goroutine, concurrently, and must not block.
	Observe ObserveFunc
}

// ServerLimits bound a Server's work: jig-manager's server section. Zero
// fields take their defaults; DefaultServerLimits holds them.
type ServerLimits struct {
	// Concurrency is how many handlers of general methods run at once.
	// Default DefaultConcurrency (16).
	Concurrency int `yaml:"concurrency"`
	// ComputeSlots is how many handlers of Compute methods run at once,
	// apart from Concurrency. Default 0: DefaultComputeSlots(), one fewer
	// than the CPUs.
	ComputeSlots int `yaml:"compute_slots"`
	// ComputeQueue is how many more Compute requests may wait for a slot.
	// Default DefaultComputeQueue (32).
	ComputeQueue int `yaml:"compute_queue"`
	// MaxBody is the largest request body, in bytes; larger ones get
	// too_large. Default DefaultMaxBody (65536).
	MaxBody int `yaml:"max_body"`
	// HandlerTimeout bounds a request that carries no deadline. Default
	// DefaultHandlerTimeout (30 s).
	HandlerTimeout time.Duration `yaml:"handler_timeout"`
	// ShutdownGrace is how long a stop waits for handlers in flight,
	// from its start (OnStop's time in it); those still running are then
	// cancelled (context.Cause: ErrStopped) and answered internal, "the
	// manager stopped before the request was finished". Default
	// DefaultShutdownGrace (5 s).
	ShutdownGrace time.Duration `yaml:"shutdown_grace"`
}

// The defaults of ServerConfig and ServerLimits.
const (
	DefaultPrefetch       = 32
	DefaultConcurrency    = 16
	DefaultComputeQueue   = 32
	DefaultMaxBody        = 64 << 10
	DefaultHandlerTimeout = 30 * time.Second
	DefaultShutdownGrace  = 5 * time.Second
	DefaultReconnectMin   = 100 * time.Millisecond
	DefaultReconnectMax   = 5 * time.Second
)

// DefaultComputeSlots is one fewer than the machine's CPUs (at least one),
// so that compute-bound methods always leave a CPU to the others.
func DefaultComputeSlots() int { return max(1, runtime.NumCPU()-1) }

// DefaultServerLimits is ServerLimits with every default filled in but
// ComputeSlots, which is 0 (DefaultComputeSlots() when the server starts:
// it depends on the machine).
func DefaultServerLimits() ServerLimits {
	return ServerLimits{Concurrency: DefaultConcurrency, ComputeQueue: DefaultComputeQueue,
		MaxBody: DefaultMaxBody, HandlerTimeout: DefaultHandlerTimeout, ShutdownGrace: DefaultShutdownGrace}
}

// Validate reports every problem of l, joined, each an *keypath.Error
// under its key relative to ServerLimits ("max_body"), which the section
// holding it prefixes.
func (l ServerLimits) Validate() error {
	errs := []error{notNegative(setting{"concurrency", l.Concurrency < 0},
		setting{"compute_slots", l.ComputeSlots < 0}, setting{"compute_queue", l.ComputeQueue < 0},
		setting{"max_body", l.MaxBody < 0}, setting{"handler_timeout", l.HandlerTimeout < 0},
		setting{"shutdown_grace", l.ShutdownGrace < 0})}
	if l.MaxBody == 1 {
		errs = append(errs, keypath.Errorf("max_body", "1 byte cannot hold a request ({} is 2)"))
	}
	return keypath.Join(errs...)
}

// ServerConfig is the configuration of a Server for serial from a
// configuration file's broker section and limits (the TLS files loaded);
// name is the connection's in the management UI. The handlers, hooks and
// logger are the caller's to set. c must be valid (Validate).
func (c BrokerConfig) ServerConfig(serial, name string, limits ServerLimits) (ServerConfig, error) {
	b, err := c.Broker(name)
	return ServerConfig{Broker: b, Serial: serial, ServerLimits: limits, Prefetch: c.Prefetch,
		ReconnectMax: c.ReconnectMax}, err
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
	def(&c.Prefetch, DefaultPrefetch)
	def(&c.Concurrency, DefaultConcurrency)
	def(&c.ComputeSlots, DefaultComputeSlots())
	def(&c.ComputeQueue, DefaultComputeQueue)
	def(&c.MaxBody, DefaultMaxBody)
	defDur(&c.HandlerTimeout, DefaultHandlerTimeout)
	defDur(&c.ShutdownGrace, DefaultShutdownGrace)
	defDur(&c.ReconnectMin, DefaultReconnectMin)
	defDur(&c.ReconnectMax, DefaultReconnectMax)
	if c.AppID == "" {
		c.AppID = "jig-manager"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
