// Package manager is the jig-manager daemon: its configuration, its request
// handlers (JigStatus, Fib, Ping, Stats, and the RPC tutorial's queue), and
// the wiring of a fixture's serial device to the request server.
package manager

import (
	"io"

	"github.com/jigmq/jigmq/fib"
	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/strictyaml"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/mqmanager"
)

// Config is jig-manager's configuration file. Every field has a default, so
// a file needs only the serial and the port.
type Config struct {
	// Serial is the fixture's serial, e.g. JIG-0001. Required.
	Serial string `yaml:"serial"`
	// Broker is how the manager reaches RabbitMQ. Env AMQP_URL replaces
	// its urls with one URL, JIG_AMQP_PASSWORD sets its password.
	Broker mqmanager.BrokerConfig `yaml:"broker"`
	// Fixture is the controller board's serial port and its status queries.
	Fixture jig.Config `yaml:"fixture"`
	// Server bounds the request server.
	Server mqmanager.ServerLimits `yaml:"server"`
	Fib    Fib                    `yaml:"fib"`
	Compat Compat                 `yaml:"compat"`
	// Security says whose requests are served.
	Security Security `yaml:"security"`
	Log      Log      `yaml:"log"`
	// Lease is the fixture's lease: see leaseconfig.go.
	Lease Lease `yaml:"lease"`
	// Events: see events_config.go.
	Events Events `yaml:"events"`
	// Metrics is the optional /metrics endpoint: see metrics_config.go.
	Metrics Metrics `yaml:"metrics"`
}

// Fib bounds the Fib method.
type Fib struct {
	// MaxN is the largest n accepted. Default 1000000.
	MaxN int `yaml:"max_n"`
}

// Compat holds compatibility options.
type Compat struct {
	// TutorialQueue, e.g. rpc_queue, is also consumed with the classic
	// RabbitMQ RPC tutorial's plain-integer protocol. Default off.
	TutorialQueue string `yaml:"tutorial_queue"`
}

// Security says whose requests are served.
type Security struct {
	// ControllerUsers are the broker users (deploy/rabbitmq/add-controller.sh)
	// whose requests are served. A request whose user_id, which the broker
	// validates, is missing or not one of them is dropped without a reply,
	// logged and counted (jigctl stats: rejected). Default empty: anyone's
	// requests are served, which is for development only (the demo's one
	// guest user): any fixture's user can publish into this manager's queue.
	ControllerUsers []string `yaml:"controller_users"`
	// AdminUsers may ForceUnlock a lease held by anyone. Default empty:
	// anyone may (for development only). With controller_users set, each
	// must be one of them too.
	AdminUsers []string `yaml:"admin_users"`
}

// Log configures the logs on stderr.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error. Default info.
	Format string `yaml:"format"` // text or json. Default text.
}

// DefaultConfig is the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		Broker:  mqmanager.DefaultBrokerConfig(),
		Fixture: jig.DefaultConfig(),
		Server:  mqmanager.DefaultServerLimits(),
		Fib:     Fib{MaxN: fib.DefaultMax},
		Log:     Log{Level: "info", Format: "text"},
		Lease:   Lease{MaxTTL: defaultMaxTTL},
		Events:  DefaultEvents(),
	}
}

// Decode reads a YAML configuration over the defaults, strictly: see
// strictyaml.Decode, whose *keypath.DecodeError comes with the rest of the
// configuration decoded.
func Decode(r io.Reader) (Config, error) {
	cfg := DefaultConfig()
	data, err := io.ReadAll(r)
	if err != nil {
		return cfg, err
	}
	return cfg, strictyaml.Decode(data, &cfg)
}

// Load reads the file at path (none if path is empty) and applies the
// environment: AMQP_URL and JIG_AMQP_PASSWORD. Unknown keys and values
// that do not decode are a *keypath.DecodeError, with the rest of the file
// decoded, to report with Validate's problems (keypath.Report); any other
// error (no file, no YAML) is the only one.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	decoded := strictyaml.DecodeFile(path, &cfg)
	if !keypath.Partial(decoded) {
		return cfg, decoded
	}
	cfg.Broker.ApplyEnv(getenv)
	return cfg, decoded
}
