// Package manager is the jig-manager daemon: its configuration, its request
// handlers (JigStatus, Fib, Ping, Stats, and the RPC tutorial's queue), and
// the wiring of a fixture's serial device to the request server.
package manager

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jigmq/jigmq/fib"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/mqmanager"
	"gopkg.in/yaml.v3"
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

// Decode reads a YAML configuration over the defaults. Unknown keys are an
// error.
func Decode(r io.Reader) (Config, error) {
	cfg := DefaultConfig()
	return cfg, DecodeStrict(r, &cfg)
}

// DecodeStrict reads YAML from r over v's values, the way the daemons'
// configuration files are read: a key v has no field for is an error, not
// ignored; an empty document changes nothing.
func DecodeStrict(r io.Reader, v any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Load reads the file at path (none if path is empty) and applies the
// environment: AMQP_URL and JIG_AMQP_PASSWORD.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, err
		}
		if cfg, err = Decode(bytes.NewReader(data)); err != nil {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
	}
	cfg.Broker.ApplyEnv(getenv)
	return cfg, nil
}
