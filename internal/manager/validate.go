package manager

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jigmq/jigmq/mqmanager"
)

// Validate reports every problem of the configuration at once, each with
// its key path, joined.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Serial == "" {
		add("serial: required")
	} else if err := mqmanager.CheckSerial(c.Serial); err != nil {
		add("serial: %v", err)
	}
	errs = append(errs, problems("", c.Broker.Validate("broker"))...)
	errs = append(errs, problems("", c.Server.Validate("server"))...)
	errs = append(errs, problems("fixture: ", c.Fixture.Validate())...)
	c.validateUsers(add)
	c.validateLease(add)
	if c.Fib.MaxN < 0 || c.Fib.MaxN > 10_000_000 {
		add("fib.max_n: %d is not between 0 and 10000000", c.Fib.MaxN)
	}
	if _, err := c.Log.level(); err != nil {
		add("log.level: %v", err)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format: %q is not text or json", c.Log.Format)
	}
	errs = append(errs, c.Events.Validate(), c.Metrics.Validate())
	return errors.Join(errs...)
}

// problems lists the problems joined in err (errors.Join, nested or not),
// each after prefix.
func problems(prefix string, err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		if err == nil {
			return nil
		}
		if prefix == "" {
			return []error{err}
		}
		return []error{fmt.Errorf("%s%w", prefix, err)}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, problems(prefix, e)...)
	}
	return out
}

// validateUsers checks security.controller_users.
func (c Config) validateUsers(add func(string, ...any)) {
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
