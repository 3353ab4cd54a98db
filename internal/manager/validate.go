package manager

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jigmq/jigmq/mqmanager"
)

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Serial == "" {
		add("serial: required")
	} else if err := mqmanager.CheckSerial(c.Serial); err != nil {
		add("serial: %v", err)
	}
	if len(c.Broker.URLs) == 0 {
		add("broker.urls: at least one URL")
	}
	for _, u := range c.Broker.URLs {
		if err := mqmanager.ValidateURL(u); err != nil {
			add("broker.urls: %v", err)
		}
	}
	errs = append(errs, c.Broker.validateTLS()...)
	c.validateUsers(add)
	c.validateLease(add)
	if c.Broker.Heartbeat < 0 || c.Broker.Prefetch < 0 || c.Broker.ReconnectMax < 0 {
		add("broker: heartbeat, prefetch and reconnect_max must not be negative")
	}
	if err := c.Fixture.Validate(); err != nil {
		add("fixture: %v", err)
	}
	if c.Server.Concurrency < 1 || c.Server.MaxBody < 2 || c.Server.HandlerTimeout <= 0 || c.Server.ShutdownGrace < 0 {
		add("server: concurrency >= 1, max_body >= 2, handler_timeout > 0 and shutdown_grace >= 0 required")
	}
	if c.Fib.MaxN < 0 || c.Fib.MaxN > 10_000_000 {
		add("fib.max_n: %d is not between 0 and 10000000", c.Fib.MaxN)
	}
	if _, err := c.Log.level(); err != nil {
		add("log.level: %v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format: %q is not text or json", c.Log.Format)
	}
	errs = append(errs, c.Events.Validate())
	return errors.Join(errs...)
}

// validateUsers checks broker.user against the URLs and the login, and
// security.controller_users.
func (c Config) validateUsers(add func(string, ...any)) {
	if c.Broker.TLS.External && c.Broker.User == "" {
		add("broker.user: required with broker.tls.external: the user name the broker takes from the " +
			"certificate, which replies carry as user_id")
	}
	b := mqmanager.Broker{URLs: c.Broker.URLs, External: c.Broker.TLS.External, User: c.Broker.User}
	if err := b.CheckUser(); err != nil {
		add("broker.user: %v", err)
	}
	seen := map[string]bool{}
	for _, u := range c.Security.ControllerUsers {
		switch {
		case u == "" || strings.TrimSpace(u) != u:
			add("security.controller_users: %q is not a user name", u)
		case seen[u]:
			add("security.controller_users: %q is listed twice", u)
		}
		seen[u] = true
	}
}

func (l Log) level() (slog.Level, error) {
	var lv slog.Level
	err := lv.UnmarshalText([]byte(l.Level))
	return lv, err
}

// urls returns the broker URLs with the configured password filled in.
func (b Broker) urls() []string {
	out := make([]string, len(b.URLs))
	for i, raw := range b.URLs {
		out[i] = raw
		u, err := url.Parse(raw)
		if err != nil || b.Password == "" || u.User == nil {
			continue
		}
		if _, has := u.User.Password(); !has {
			u.User = url.UserPassword(u.User.Username(), b.Password)
			out[i] = u.String()
		}
	}
	return out
}
