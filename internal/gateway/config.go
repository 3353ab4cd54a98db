// Package gateway is jig-gateway: it follows the fixtures' events into a
// fleet table, and serves it over HTTP: a JSON API under /api/v1 mirroring
// jigctl, server-sent events, a live dashboard and Prometheus metrics.
package gateway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/strictyaml"
	"github.com/jigmq/jigmq/mqmanager"
)

// Config is jig-gateway's configuration file. Every field has a default.
type Config struct {
	// Listen is the HTTP address. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// Broker: as jig-manager's (urls, password, user, heartbeat, tls; its
	// prefetch bounds the events delivered ahead).
	Broker mqmanager.BrokerConfig `yaml:"broker"`
	// CheckUser accepts an event only from the fixture's broker user
	// (jig-<serial>, or UserFormat). Default false.
	CheckUser  bool        `yaml:"check_user"`
	UserFormat string      `yaml:"user_format"`
	API        API         `yaml:"api"`
	Fleet      FleetConfig `yaml:"fleet"`
	Log        manager.Log `yaml:"log"`
	// TLS serves HTTPS when both are set. Default "": plain HTTP.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// API bounds the requests passed to fixtures.
type API struct {
	// Timeout is a request's deadline without ?timeout=. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxTimeout is the largest ?timeout= accepted. Default 30s.
	MaxTimeout time.Duration `yaml:"max_timeout"`
	// Token, if set, is the bearer token that endpoints changing a
	// fixture (lock, unlock...) require; without it they are refused.
	// Set it with env JIG_GATEWAY_TOKEN rather than here.
	Token string `yaml:"token"`
}

// FleetConfig bounds the fleet table.
type FleetConfig struct {
	// Inventory is a file of the serials expected on the floor, one a
	// line; they show as missing until seen. Default "": none.
	Inventory string `yaml:"inventory"`
	// MaxFixtures bounds the table. Default 10000.
	MaxFixtures int `yaml:"max_fixtures"`
	// RecentEvents kept per fixture. Default 50.
	RecentEvents int `yaml:"recent_events"`
	// MaxStreams bounds the open event streams. Default 100.
	MaxStreams int `yaml:"max_streams"`
}

// DefaultConfig is the configuration with every default.
func DefaultConfig() Config {
	return Config{Listen: "127.0.0.1:8080",
		Broker: mqmanager.DefaultBrokerConfig(),
		API:    API{Timeout: 2 * time.Second, MaxTimeout: 30 * time.Second},
		Fleet:  FleetConfig{MaxFixtures: 10000, RecentEvents: 50, MaxStreams: 100},
		Log:    manager.Log{Level: "info", Format: "text"}}
}

// Load reads the file at path (none if "") strictly over the defaults,
// then the environment: AMQP_URL, JIG_AMQP_PASSWORD, JIG_GATEWAY_TOKEN.
// Unknown keys and values that do not decode are a *keypath.DecodeError,
// with the rest of the file decoded, to report with Validate's problems
// (keypath.Report); any other error (no file, no YAML) is the only one.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := DefaultConfig()
	decoded := strictyaml.DecodeFile(path, &cfg)
	if !keypath.Partial(decoded) {
		return cfg, decoded
	}
	cfg.Broker.ApplyEnv(getenv)
	if tok := getenv("JIG_GATEWAY_TOKEN"); tok != "" {
		cfg.API.Token = tok
	}
	return cfg, decoded
}

// Validate reports every problem at once, each an *keypath.Error under
// its key path.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, keypath.Errorf(key, format, args...)) }
	if err := checkListen(c.Listen); err != nil {
		add("listen", "%v", err)
	}
	errs = append(errs, keypath.Under("broker", c.Broker.Validate()))
	if _, err := mqmanager.ReplyUserFormat(orDefault(c.UserFormat, mqmanager.DefaultReplyUserFormat)); err != nil {
		add("user_format", "%v", err)
	}
	errs = append(errs, keypath.Under("api", c.API.validateTimeouts()))
	if c.Fleet.MaxFixtures < 1 || c.Fleet.MaxFixtures > 1_000_000 {
		add("fleet.max_fixtures", "%d is not between 1 and 1000000", c.Fleet.MaxFixtures)
	}
	if c.Fleet.RecentEvents < 0 || c.Fleet.RecentEvents > 1000 {
		add("fleet.recent_events", "%d is not between 0 and 1000", c.Fleet.RecentEvents)
	}
	if c.Fleet.MaxStreams < 1 || c.Fleet.MaxStreams > 10000 {
		add("fleet.max_streams", "%d is not between 1 and 10000", c.Fleet.MaxStreams)
	}
	c.validateTLS(add)
	errs = append(errs, keypath.Under("log", c.Log.Validate()))
	return keypath.Join(errs...)
}

// checkListen checks an address as net.Listen takes it: a host (empty:
// every address) and a port, a number or a service name, so that a port
// it would refuse is a configuration error, not a failure at start.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("port %q is not a number from 0 to 65535 or a service name", port)
	}
	return nil
}

// validateTLS checks the HTTPS pair: both files or neither, and both
// loading as a certificate and its key. The server loads them when it
// starts; a pair it could not load would fail only then, after the
// gateway said where it serves, without saying which key was wrong.
func (c Config) validateTLS(add func(key, format string, args ...any)) {
	read := func(key, path string) []byte {
		if path == "" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			add(key, "%v", err)
		}
		return b
	}
	cert, key := read("tls_cert", c.TLSCert), read("tls_key", c.TLSKey)
	switch {
	case c.TLSCert == "" && c.TLSKey != "":
		add("tls_cert", "required with tls_key (HTTPS needs both)")
	case c.TLSKey == "" && c.TLSCert != "":
		add("tls_key", "required with tls_cert (HTTPS needs both)")
	case cert != nil && key != nil:
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			add("tls_cert", "%s with tls_key %s: %v", c.TLSCert, c.TLSKey, err)
		}
	}
}

// ServesTLS reports whether the gateway serves HTTPS (tls_cert and
// tls_key set), not plain HTTP.
func (c Config) ServesTLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// URL is the gateway's base URL when it listens on addr (host:port): its
// scheme is https when it serves TLS.
func (c Config) URL(addr string) string {
	if c.ServesTLS() {
		return "https://" + addr + "/"
	}
	return "http://" + addr + "/"
}

// validateTimeouts checks timeout and max_timeout, under their keys in
// API. Timeout's bound is max_timeout only while max_timeout is itself in
// bounds: one out of them is its own problem, and a timeout left at its
// default is not one more.
func (a API) validateTimeouts() error {
	const least, most = time.Millisecond, 10 * time.Minute
	var errs []error
	maxTimeout, upTo := a.MaxTimeout, fmt.Sprintf("max_timeout (%v)", a.MaxTimeout)
	if a.MaxTimeout < least || a.MaxTimeout > most {
		errs = append(errs, keypath.Errorf("max_timeout", "%v is not between %v and %v", a.MaxTimeout, least, most))
		maxTimeout, upTo = most, most.String()
	}
	if a.Timeout < least || a.Timeout > maxTimeout {
		errs = append(errs, keypath.Errorf("timeout", "%v is not between %v and %s", a.Timeout, least, upTo))
	}
	return errors.Join(errs...)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
