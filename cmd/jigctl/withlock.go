package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newWithLockCmd(g *globals) *cobra.Command {
	var lf lockFlags
	cmd := &cobra.Command{
		Use:   "with-lock SERIAL [flags] -- CMD [ARGS...]",
		Short: "Run a command while holding a fixture's lease",
		Long: `Take the fixture's lease (as lock, with --wait), run CMD with the token in
JIG_LOCK_TOKEN and the serial in JIG_SERIAL, renew the lease every third of
--ttl while CMD runs, forward SIGINT and SIGTERM to CMD, and release the
lease when CMD ends, however it ends. Exits with CMD's status (128+N if a
signal N killed it), 125 if it never got the lease (130 if an interrupt
ended the wait for it), 126 or 127 if CMD could not be run. If jigctl
itself is killed, the lease expires by itself. With -o json, a lease never
got is the lock's outcome on stdout, as lock prints it.`,
		Example:           "  jigctl with-lock JIG-0001 --ttl 1m -- ./run-test.sh\n  jigctl with-lock JIG-0001 --wait 5m -- sh -c 'jigctl query \"$JIG_SERIAL\" \"OUTP ON\"'",
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			la, err := lf.args()
			if err != nil {
				return err
			}
			if cmd.ArgsLenAtDash() != 1 {
				return cli.Exit(exitUsage, errors.New("with-lock: SERIAL, then -- and the command: with-lock SERIAL -- CMD ARGS..."))
			}
			return g.one(cmd.Context(), "", args[0], ongoing, func(c *mqmanager.Client) error {
				return g.withLock(cmd.Context(), c, args[0], la, lf.wait, args[1:])
			})
		},
	}
	lf.register(cmd.Flags(), time.Minute)
	return cmd
}

// withLock holds the lease around argv's run. Renewals and the release do
// not stop with ctx (an interrupt ends the command, then the lease).
func (g *globals) withLock(ctx context.Context, c *mqmanager.Client, serial string, la jigapi.LockArgs,
	wait time.Duration, argv []string) error {
	l, o := g.lockWait(ctx, c, serial, la, wait)
	if o.err != nil {
		return g.noLease(o)
	}
	keep := context.WithoutCancel(ctx)
	stop := g.keepRenewing(keep, c, serial, l.Token, time.Duration(la.TTLS)*time.Second/3)
	code := g.runChild(serial, l.Token, argv)
	stop()
	if _, o := callOne(keep, g, c, serial, jigapi.Unlock, jigapi.TokenArgs{Token: l.Token}); o.err != nil {
		fmt.Fprintf(g.stderr, "%s\tunlock %s: %s (the lease ends by itself)\n", serial, o.label(), o.detail())
	}
	if code != 0 {
		return cli.Silent(code)
	}
	return nil
}

// noLease ends a with-lock that never got the lease: the lock's outcome
// (on stdout with -o json: the command never ran), and 125, or 130 for an
// interrupt.
func (g *globals) noLease(o outcome) error {
	if g.output == "json" {
		if err := writeJSON(g, []outcome{o}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(g.stderr, "%s\t%s: %s (never got the lease)\n", o.Serial, o.label(), o.detail())
	}
	if _, code := classify(o.err); code == exitInterrupted {
		return cli.Silent(code)
	}
	return cli.Silent(exitNoLease)
}

// keepRenewing renews the lease every period until the returned stop,
// which waits for it; failures are warned about on stderr.
func (g *globals) keepRenewing(ctx context.Context, c *mqmanager.Client, serial, token string, period time.Duration) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(max(period, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			if _, o := callOne(ctx, g, c, serial, jigapi.Renew, jigapi.TokenArgs{Token: token}); o.err != nil {
				fmt.Fprintf(g.stderr, "%s\trenew %s: %s\n", serial, o.label(), o.detail())
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// runChild runs argv with the lease in its environment, forwarding
// SIGINT and SIGTERM, and returns its exit status.
func (g *globals) runChild(serial, token string, argv []string) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	child := exec.Command(argv[0], argv[1:]...)
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, g.stdout, g.stderr
	child.Env = append(os.Environ(), "JIG_LOCK_TOKEN="+token, "JIG_SERIAL="+serial)
	if err := child.Start(); err != nil {
		fmt.Fprintf(g.stderr, "with-lock: %v\n", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 127
		}
		return 126
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	for {
		select {
		case s := <-sigs:
			child.Process.Signal(s)
		case err := <-done:
			return exitStatus(err)
		}
	}
}

func exitStatus(err error) int {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}
