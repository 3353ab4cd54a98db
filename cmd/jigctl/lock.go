package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/lease"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// lockFlags are the flags of lock and with-lock.
type lockFlags struct {
	owner     string
	ttl, wait time.Duration
	fs        *pflag.FlagSet // to tell an --owner given from the default
}

func (l *lockFlags) register(fs *pflag.FlagSet, ttl time.Duration) {
	l.fs = fs
	// The default is looked up only when a lease is taken: every jigctl run
	// builds every command's flags, and the user lookup (NSS: nsswitch.conf,
	// the nscd socket, /etc/passwd) cost each run, --help and status
	// included, 0.1-0.3 ms.
	fs.StringVar(&l.owner, "owner", "", "who takes the lease (`NAME`; default user@host of this login)")
	fs.DurationVar(&l.ttl, "ttl", ttl, "the lease ends by itself this long after it is taken or renewed (whole seconds)")
	fs.DurationVar(&l.wait, "wait", 0, "if another owner holds it, wait this long for its release or expiry")
}

// args are Lock's arguments; the TTL rounded up to whole seconds.
func (l *lockFlags) args() (jigapi.LockArgs, error) {
	if l.ttl < time.Second || l.ttl%time.Second != 0 {
		return jigapi.LockArgs{}, cli.Exit(exitUsage,
			fmt.Errorf("--ttl %v: must be whole seconds, at least 1s (a lease's ttl_s is in seconds)", l.ttl))
	}
	if l.wait < 0 {
		return jigapi.LockArgs{}, cli.Exit(exitUsage, fmt.Errorf("--wait %v: must not be negative", l.wait))
	}
	owner := l.owner
	if !l.fs.Changed("owner") {
		owner = defaultOwner()
	} else if err := lease.CheckOwner(owner); err != nil {
		return jigapi.LockArgs{}, cli.Exit(exitUsage, fmt.Errorf("--owner: %w", err))
	}
	return jigapi.LockArgs{Owner: owner, TTLS: int(l.ttl / time.Second)}, nil
}

// defaultOwner is user@host.
func defaultOwner() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

func newLockCmd(g *globals) *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "lock SERIAL",
		Short: "Take a fixture's lease and print its token",
		Long: `Take a fixture's lease: nobody else may change its board (Query commands
without '?') until it is unlocked or it expires by itself after --ttl (the
manager bounds it, lease.max_ttl). Prints the token, which renew, unlock
and query --token need. If another owner holds it, exits 6 (locked) naming
the holder and expiry, or with --wait waits that long for it to be freed.`,
		Example:           "  jigctl lock JIG-0001 --owner station-3 --ttl 10m\n  TOKEN=$(jigctl lock JIG-0001 --ttl 1m --wait 30s)",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			la, err := lf.args()
			if err != nil {
				return err
			}
			life := oneShot // one request, unless it waits and asks again
			if lf.wait > 0 {
				life = ongoing
			}
			return g.one(cmd.Context(), jigapi.Lock.Name(), args[0], life, func(c *mqmanager.Client) error {
				l, o := g.lockWait(cmd.Context(), c, args[0], la, lf.wait)
				return g.report([]outcome{o}, func(outcome) string { return l.Token })
			})
		},
	}
	lf.register(cmd.Flags(), 10*time.Minute)
	return calling(cmd, jigapi.Lock.Name())
}

// lockWait locks, and while another owner holds the lease asks again
// (every second: a release is not announced) until wait has passed. An
// interrupt while it waits between asks is the outcome (canceled), not the
// last ask's "locked".
func (g *globals) lockWait(ctx context.Context, c *mqmanager.Client, serial string, a jigapi.LockArgs,
	wait time.Duration) (jigapi.Lease, outcome) {
	start := time.Now()
	deadline := start.Add(wait)
	for {
		l, o := callOne(ctx, g, c, serial, jigapi.Lock, a)
		left := time.Until(deadline)
		if o.err == nil || !isCode(o.err, jigapi.CodeLocked) || left <= 0 {
			return l, o
		}
		t := time.NewTimer(min(left, time.Second))
		select {
		case <-ctx.Done():
			t.Stop()
			return l, newOutcome(serial, jigapi.Lock.Name(), nil, ctx.Err(), ms(time.Since(start)))
		case <-t.C:
		}
	}
}

func isCode(err error, code string) bool {
	var re *mqmanager.RemoteError
	return errors.As(err, &re) && re.Code == code
}

func newRenewCmd(g *globals) *cobra.Command {
	var token string
	cmd := &cobra.Command{
		Use:               "renew SERIAL --token TOKEN",
		Short:             "Extend a fixture's lease by its TTL from now",
		Example:           "  jigctl renew JIG-0001 --token \"$TOKEN\"",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			if token == "" {
				return cli.Exit(exitUsage, errors.New("renew: give --token TOKEN (or env JIG_LOCK_TOKEN)"))
			}
			return g.one(cmd.Context(), jigapi.Renew.Name(), args[0], oneShot, func(c *mqmanager.Client) error {
				l, o := callOne(cmd.Context(), g, c, args[0], jigapi.Renew, jigapi.TokenArgs{Token: token})
				return g.report([]outcome{o}, func(outcome) string {
					return fmt.Sprintf("%s\t%s\tuntil %s", o.Serial, l.Owner, l.ExpiresAt.Format(time.RFC3339))
				})
			})
		},
	}
	cmd.Flags().StringVar(&token, "token", os.Getenv("JIG_LOCK_TOKEN"), "the lease's `TOKEN` (env JIG_LOCK_TOKEN)")
	return calling(cmd, jigapi.Renew.Name())
}
