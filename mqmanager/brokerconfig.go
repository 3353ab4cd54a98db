package mqmanager

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
)

// BrokerConfig is how to reach the broker as a configuration file gives
// it: jig-manager's broker section. DefaultBrokerConfig holds the defaults;
// Broker turns it into what dialing takes.
type BrokerConfig struct {
	// URLs are a cluster's nodes, tried in turn on connection loss. At
	// least one; default [DefaultURL].
	URLs []string `yaml:"urls"`
	// Password is put into every URL that has a user and no password;
	// kept out of files by jig-manager's env JIG_AMQP_PASSWORD. Default "".
	Password string `yaml:"password"`
	// User is the broker user the connection logs in as (Broker.User).
	// Default "": the URLs' user. Required with TLS.External.
	User string `yaml:"user"`
	// Heartbeat interval, 1s to MaxHeartbeat (65535 s, about 18h12m):
	// AMQP negotiates it in whole seconds, in 16 bits. Default (0)
	// DefaultHeartbeat (5 s).
	Heartbeat time.Duration `yaml:"heartbeat"`
	// Prefetch is how many requests the broker sends a Server ahead
	// (ServerConfig.Prefetch), 1 to MaxPrefetch (65535: AMQP's basic.qos
	// carries it in 16 bits; there is no "unlimited"). It bounds the
	// request bodies a manager holds: Prefetch+1. Default (0)
	// DefaultPrefetch (32).
	Prefetch int `yaml:"prefetch"`
	// ReconnectMax caps a Server's reconnect backoff
	// (ServerConfig.ReconnectMax). Default DefaultReconnectMax (5 s).
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// TLS for amqps:// URLs. Default none: the system's CAs, no client
	// certificate.
	TLS TLSSettings `yaml:"tls"`
	// urlsFrom names what set URLs when the file did not ("AMQP_URL",
	// "--url"): their problems are reported under that name, not as
	// urls, a key the user never wrote.
	urlsFrom string
}

// SetURLs replaces URLs with urls, given by from (an environment variable
// or a flag, e.g. "--url"), which Validate names in their problems.
func (c *BrokerConfig) SetURLs(urls []string, from string) {
	c.URLs, c.urlsFrom = urls, from
}

// MaxPrefetch and MaxHeartbeat bound BrokerConfig's Prefetch and
// Heartbeat: AMQP carries both in 16 bits (the heartbeat in seconds).
const (
	MaxPrefetch  = 1<<16 - 1
	MaxHeartbeat = (1<<16 - 1) * time.Second
)

// ApplyEnv applies the environment, as the daemons' units set it to keep
// secrets out of files: AMQP_URL replaces URLs with one URL,
// JIG_AMQP_PASSWORD sets Password.
func (c *BrokerConfig) ApplyEnv(getenv func(string) string) {
	if u := getenv("AMQP_URL"); u != "" {
		c.SetURLs([]string{u}, "AMQP_URL")
	}
	if pw := getenv("JIG_AMQP_PASSWORD"); pw != "" {
		c.Password = pw
	}
}

// DefaultBrokerConfig is BrokerConfig with every default filled in.
func DefaultBrokerConfig() BrokerConfig {
	return BrokerConfig{URLs: []string{DefaultURL}, Heartbeat: DefaultHeartbeat,
		Prefetch: DefaultPrefetch, ReconnectMax: DefaultReconnectMax}
}

// Validate reports every problem of c, joined, each an *keypath.Error
// under its key path relative to BrokerConfig ("urls", "tls.external"),
// which the section holding it prefixes, or a *keypath.Setting for URLs
// the environment or a flag set (SetURLs). It loads the TLS files, so that
// one that does not load is a configuration error, not a failed
// connection.
func (c BrokerConfig) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, keypath.Errorf(key, format, args...)) }
	if len(c.URLs) == 0 {
		add("urls", "at least one URL")
	}
	errs = append(errs, c.urlProblems()...)
	names := KeyPaths("")
	if c.urlsFrom != "" {
		names.URLs = c.urlsFrom
	}
	_, err := c.TLS.Check(c.URLs, names)
	errs = append(errs, err)
	if c.TLS.External && c.User == "" {
		add("user", "required with tls.external: the user name the broker takes from the "+
			"certificate, which replies carry as user_id")
	}
	if err := c.dial("").CheckUser(); err != nil {
		add("user", "%v", err)
	}
	if c.Heartbeat < 0 || c.Heartbeat > MaxHeartbeat || (c.Heartbeat > 0 && c.Heartbeat < time.Second) {
		add("heartbeat", "%v is not 0 (the default) or between 1s and %v", c.Heartbeat, MaxHeartbeat)
	}
	if c.Prefetch < 0 || c.Prefetch > MaxPrefetch {
		add("prefetch", "%d is not between 0 (the default) and %d", c.Prefetch, MaxPrefetch)
	}
	errs = append(errs, notNegative(setting{"reconnect_max", c.ReconnectMax < 0}))
	return keypath.Join(errs...)
}

// urlProblems reports each URL that is not valid, under urls, or named
// by what set the URLs (urlsFrom).
func (c BrokerConfig) urlProblems() []error {
	var errs []error
	for _, u := range c.URLs {
		err := ValidateURL(u)
		switch {
		case err == nil:
		case c.urlsFrom != "":
			errs = append(errs, &keypath.Setting{Name: c.urlsFrom, Err: err})
		default:
			errs = append(errs, &keypath.Error{Path: "urls", Err: err})
		}
	}
	return errs
}

// setting is a key and whether its value is negative.
type setting struct {
	key      string
	negative bool
}

// notNegative reports each negative setting under its key: in
// configuration files, 0 takes the default and less is a mistake.
func notNegative(settings ...setting) error {
	var errs []error
	for _, s := range settings {
		if s.negative {
			errs = append(errs, keypath.Errorf(s.key, "must not be negative (0: the default)"))
		}
	}
	return errors.Join(errs...)
}

// Broker is what dialing takes: the URLs with the password filled in, the
// TLS files loaded; name is shown in the management UI. c must be valid.
func (c BrokerConfig) Broker(name string) (Broker, error) {
	b := c.dial(name)
	var err error
	if b.TLS, err = c.TLS.Config(); err != nil {
		return b, fmt.Errorf("tls: %w", err)
	}
	return b, nil
}

// dial is Broker without the TLS files loaded.
func (c BrokerConfig) dial(name string) Broker {
	return Broker{URLs: c.urls(), Heartbeat: c.Heartbeat, External: c.TLS.External, User: c.User, Name: name}
}

// urls returns the URLs with the password filled in where a URL has a
// user and no password.
func (c BrokerConfig) urls() []string {
	out := make([]string, len(c.URLs))
	for i, raw := range c.URLs {
		out[i] = raw
		u, err := url.Parse(raw)
		if err != nil || c.Password == "" || u.User == nil {
			continue
		}
		if _, has := u.User.Password(); !has {
			u.User = url.UserPassword(u.User.Username(), c.Password)
			out[i] = u.String()
		}
	}
	return out
}
