package lease

import (
	"fmt"
	"log/slog"
	"time"
)

// Open makes the table, with the lease of the state file if it has one
// that has not expired and can be trusted (see restore). The state file
// is written back at once (stamped with the serial), so a folder where it
// cannot be kept is an error now rather than at the first Lock.
//
// On error the table is still usable, but refuses to keep a lease: Lock
// and Renew fail (internal) with the error, and the file is never
// written. (jig-manager does not start on such an error.)
func Open(cfg Config) (*Table, error) {
	cfg = cfg.withDefaults()
	t := &Table{cfg: cfg, store: cfg.store()}
	r, err := restore(cfg, t.store)
	if err != nil {
		t.store.refused = err
		return t, err
	}
	if r != nil {
		t.cur = r
		cfg.Log.Info("lease restored from the state file", "owner", r.Owner, "expires_at", r.ExpiresAt, "path", cfg.Path)
	}
	return t, nil
}

func (cfg Config) withDefaults() Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

func (cfg Config) store() store { return store{path: cfg.Path, serial: cfg.Serial, log: cfg.Log} }

// restore is the state file's lease to keep: nil if there is none, it has
// expired, or it cannot be trusted. A lease longer than MaxTTL (its ttl_s,
// or the time it has left) was not granted by this configuration: it is
// set aside, not clamped, since whoever wrote it is unknown. What is kept
// is written back; a file of another serial is an error and not written.
func restore(cfg Config, s store) (*record, error) {
	r, err := s.load()
	if err != nil {
		return nil, err
	}
	if r != nil && !cfg.Now().Before(r.ExpiresAt) {
		r = nil
	}
	if r != nil {
		if err := cfg.trust(r); err != nil {
			s.setAside("untrusted", err)
			r = nil
		}
	}
	if err := s.save(r); err != nil {
		return nil, err
	}
	return r, nil
}

// trust checks that r is a lease this configuration could have granted.
func (cfg Config) trust(r *record) error {
	maxS := int(cfg.MaxTTL / time.Second)
	switch left := r.ExpiresAt.Sub(cfg.Now()); {
	case r.TTLS < 1 || r.TTLS > maxS:
		return fmt.Errorf("ttl_s %d is not between 1 and %d (lease.max_ttl)", r.TTLS, maxS)
	case left > cfg.MaxTTL:
		return fmt.Errorf("expires_at %s is %s away, more than lease.max_ttl %s",
			r.ExpiresAt.UTC().Format(time.RFC3339), left.Round(time.Second), cfg.MaxTTL)
	}
	return nil
}
