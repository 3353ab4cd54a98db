package manager

import (
	"context"
	"log/slog"
	"slices"

	"github.com/jigmq/jigmq/internal/lease"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// leasing is the handlers' part for the lease methods and Query's rules.
type leasing struct {
	leases  *lease.Table
	fixture jig.Config // its commands.allow
	admins  []string   // security.admin_users; empty: anyone may force
	log     *slog.Logger
}

func newLeasing(cfg Config, log *slog.Logger) (leasing, error) {
	log = log.With("component", "lease")
	t, err := openLeases(cfg, log)
	return leasing{leases: t, fixture: cfg.Fixture, admins: cfg.Security.AdminUsers, log: log}, err
}

func (l *leasing) lock(ctx context.Context, a jigapi.LockArgs) (jigapi.Lease, error) {
	res, err := l.leases.Lock(a.Owner, a.TTLS)
	if err == nil {
		l.log.Info("lease taken", "owner", res.Owner, "expires_at", res.ExpiresAt, "user_id", userOf(ctx))
	}
	return res, err
}

func (l *leasing) renew(_ context.Context, a jigapi.TokenArgs) (jigapi.Lease, error) {
	res, err := l.leases.Renew(a.Token)
	if err == nil {
		l.log.Debug("lease renewed", "owner", res.Owner, "expires_at", res.ExpiresAt)
	}
	return res, err
}

func (l *leasing) unlock(ctx context.Context, a jigapi.TokenArgs) (jigapi.Released, error) {
	res, err := l.leases.Unlock(a.Token)
	if err == nil {
		l.log.Info("lease released", "owner", res.Owner, "user_id", userOf(ctx))
	}
	return res, err
}

// forceUnlock releases anyone's lease; with security.admin_users set, only
// for those users (the request's broker-validated user_id).
func (l *leasing) forceUnlock(ctx context.Context, _ jigapi.NoArgs) (jigapi.Released, error) {
	user := userOf(ctx)
	if len(l.admins) > 0 && !slices.Contains(l.admins, user) {
		return jigapi.Released{}, jigapi.Errorf(jigapi.CodeForbidden,
			"ForceUnlock is for security.admin_users; user %q is not one", user)
	}
	res, err := l.leases.ForceUnlock()
	if err == nil {
		l.log.Warn("lease forcibly released", "owner", res.Owner, "user_id", user)
	}
	return res, err
}

func userOf(ctx context.Context) string {
	if r := mqmanager.RequestOf(ctx); r != nil {
		return r.UserID
	}
	return ""
}
