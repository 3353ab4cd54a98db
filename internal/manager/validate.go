package manager

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/mqmanager"
)

// Validate reports every problem of the configuration at once, each an
// *keypath.Error under its key path (e.g. "fixture.baud"), or a
// *keypath.Setting for a value the environment or a flag gave (AMQP_URL,
// --url), joined. Each section's own Validate names its keys relative to
// it; they are prefixed here, once.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) { errs = append(errs, keypath.Errorf(key, format, args...)) }
	if c.Serial == "" {
		add("serial", "required")
	} else if err := mqmanager.CheckSerial(c.Serial); err != nil {
		add("serial", "%v", err)
	}
	errs = append(errs, keypath.Under("broker", c.Broker.Validate()),
		keypath.Under("server", c.Server.Validate()), keypath.Under("fixture", c.Fixture.Validate()))
	c.validateUsers(add)
	c.validateLease(add)
	if err := mqmanager.CheckQueueName(c.Compat.TutorialQueue); err != nil {
		add("compat.tutorial_queue", "%v", err)
	}
	if c.Fib.MaxN < 0 || c.Fib.MaxN > 10_000_000 {
		add("fib.max_n", "%d is not between 0 and 10000000", c.Fib.MaxN)
	}
	errs = append(errs, keypath.Under("log", c.Log.Validate()),
		keypath.Under("events", c.Events.Validate()), keypath.Under("metrics", c.Metrics.Validate()))
	return keypath.Join(errs...)
}

// Validate reports the problems of a log section, under keys relative to
// Log: jig-manager's and jig-gateway's.
func (l Log) Validate() error {
	var errs []error
	if _, err := l.level(); err != nil {
		// slog's own message ("slog: level string ...: unknown name")
		// names neither the key's values nor what is allowed.
		errs = append(errs, keypath.Errorf("level", "%q is not debug, info, warn or error", l.Level))
	}
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, keypath.Errorf("format", "%q is not text or json", l.Format))
	}
	return errors.Join(errs...)
}

// validateUsers checks security.controller_users.
func (c Config) validateUsers(add func(key, format string, args ...any)) {
	seen := map[string]bool{}
	for _, u := range c.Security.ControllerUsers {
		switch {
		case u == "" || strings.TrimSpace(u) != u:
			add("security.controller_users", "%q is not a user name", u)
		case seen[u]:
			add("security.controller_users", "%q is listed twice", u)
		}
		seen[u] = true
	}
}

func (l Log) level() (slog.Level, error) {
	var lv slog.Level
	err := lv.UnmarshalText([]byte(l.Level))
	return lv, err
}
