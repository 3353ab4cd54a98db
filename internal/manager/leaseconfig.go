package manager

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jigmq/jigmq/internal/lease"
)

// Lease configures the fixture's lease (Lock, Renew, Unlock, ForceUnlock).
type Lease struct {
	// MaxTTL bounds a lease's ttl_s, so a station that crashed never
	// leaves the fixture held for longer. Default 1h, at most 24h.
	MaxTTL time.Duration `yaml:"max_ttl"`
	// StateFile keeps the lease across restarts. Default
	// $STATE_DIRECTORY/lease-<serial>.json (systemd sets STATE_DIRECTORY
	// from the unit's StateDirectory=); with neither, the lease is kept in
	// memory only, and a restart frees the fixture.
	StateFile string `yaml:"state_file"`
	// Clock, for tests, replaces time.Now for the lease's times.
	Clock func() time.Time `yaml:"-"`
}

// defaultMaxTTL and maxMaxTTL are lease.max_ttl's default and bound.
const (
	defaultMaxTTL = time.Hour
	maxMaxTTL     = 24 * time.Hour
)

// validateLease checks the lease section and security.admin_users.
func (c Config) validateLease(add func(key, format string, args ...any)) {
	if c.Lease.MaxTTL < time.Second || c.Lease.MaxTTL > maxMaxTTL {
		add("lease.max_ttl", "%s is not between 1s and %s", c.Lease.MaxTTL, maxMaxTTL)
	}
	if f := c.Lease.StateFile; f != "" && !filepath.IsAbs(f) {
		add("lease.state_file", "%q is not an absolute path", f)
	}
	for _, u := range c.Security.AdminUsers {
		switch {
		case u == "" || strings.TrimSpace(u) != u:
			add("security.admin_users", "%q is not a user name", u)
		case len(c.Security.ControllerUsers) > 0 && !slices.Contains(c.Security.ControllerUsers, u):
			add("security.admin_users", "%q is not in security.controller_users, so its requests would be dropped", u)
		}
	}
}

// stateFile is where the lease is kept: lease.state_file, or a file for
// the serial in $STATE_DIRECTORY (the first, if systemd lists several);
// "" for none.
func (c Config) stateFile(getenv func(string) string) string {
	if c.Lease.StateFile != "" {
		return c.Lease.StateFile
	}
	dir, _, _ := strings.Cut(getenv("STATE_DIRECTORY"), ":")
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "lease-"+c.Serial+".json")
}

// leaseConfig is the lease table's configuration: "" for Path if the
// lease is kept in memory only.
func (c Config) leaseConfig(log *slog.Logger) lease.Config {
	return lease.Config{MaxTTL: c.Lease.MaxTTL, Path: c.stateFile(os.Getenv), Serial: c.Serial,
		Now: c.Lease.Clock, Log: log}
}

// LeaseStateError is a lease state file the manager cannot use: another
// serial's, not a regular file, or in a folder where it cannot be written.
// New returns it, and the manager does not start: it is fixed by hand, as
// the configuration is (jig-manager exits 2). Unreadable and untrusted
// files are set aside and logged, not errors.
type LeaseStateError struct{ Err error }

func (e *LeaseStateError) Error() string { return "lease.state_file: " + e.Err.Error() }
func (e *LeaseStateError) Unwrap() error { return e.Err }

// openLeases opens the fixture's lease table, restoring and writing back
// its state file (see lease.Open).
func openLeases(cfg Config, log *slog.Logger) (*lease.Table, error) {
	lc := cfg.leaseConfig(log)
	if lc.Path == "" {
		log.Warn("no lease.state_file and no $STATE_DIRECTORY: the fixture's lease is not kept across restarts")
	}
	t, err := lease.Open(lc)
	if err != nil {
		return nil, &LeaseStateError{Err: err}
	}
	return t, nil
}
