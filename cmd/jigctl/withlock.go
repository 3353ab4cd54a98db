package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newWithLockCmd(g *globals) *cobra.Command {
	var lf lockFlags
	var stopOnLoss bool
	cmd := &cobra.Command{
		Use:   "with-lock SERIAL [flags] -- CMD [ARGS...]",
		Short: "Run a command while holding a fixture's lease",
		Long: `Take the fixture's lease (as lock, with --wait), run CMD with the token in
JIG_LOCK_TOKEN and the serial in JIG_SERIAL, renew the lease every third of
--ttl while CMD runs (after a failed renew, retry every --ttl/10, at most
1s, until the lease's expiry), and release the lease when CMD ends, however
it ends. SIGTERM is forwarded to CMD, and so are SIGINT and SIGQUIT
unless the terminal sent them to CMD as well: Ctrl-C (or Ctrl-\) while
jigctl is the terminal's foreground job reaches CMD (in jigctl's process
group) once, from the kernel, and while it is, a kill -INT of jigctl alone
is not forwarded (signal CMD's own pid instead). SIGHUP is not forwarded
either: a hangup (the terminal or the SSH session gone) reaches CMD, in
jigctl's process group, from the shell or the kernel; a kill -HUP of jigctl
alone (a supervisor's) reaches only jigctl, and is ignored while CMD runs. None of them ends jigctl before CMD: it releases the
lease once CMD has ended. Exits with CMD's status (128+N if a signal N killed it), 125
if it never got the lease (130 if an interrupt ended the wait for it), 126
or 127 if CMD could not be run. If the lease is lost while CMD runs (no
renew succeeded before its expiry, or the manager no longer holds it),
stderr says so at once ("lease lost at TIME: why"); CMD runs on (its board
writes are refused), or with --stop-on-loss is sent SIGTERM. If CMD exits
0 but the lease was lost while it ran (told so, or found gone by the
release: the manager answers locked or not_locked), with-lock exits 124:
the fixture was not held throughout, so its success is not one. (A CMD
that exits 124 itself is passed as is: stderr's "lease lost" tells them
apart.) If jigctl
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
			if err := mqmanager.CheckSerial(args[0]); err != nil {
				return cli.Exit(exitUsage, err)
			}
			start := time.Now()
			c, err := g.dial(cmd.Context(), ongoing)
			if err != nil { // no broker, no lease: as any lock that failed
				if isUsage(err) {
					return err
				}
				return g.noLease(newOutcome(args[0], jigapi.Lock.Name(), nil, err, ms(time.Since(start))))
			}
			defer c.Close()
			return g.withLock(cmd.Context(), c, args[0], la, lf.wait, stopOnLoss, args[1:])
		},
	}
	lf.register(cmd.Flags(), time.Minute)
	cmd.Flags().BoolVar(&stopOnLoss, "stop-on-loss", false, "send CMD SIGTERM if the lease is lost while it runs")
	return cmd
}

// withLock holds the lease around argv's run. Renewals and the release do
// not stop with ctx (an interrupt ends the command, then the lease).
func (g *globals) withLock(ctx context.Context, c *mqmanager.Client, serial string, la jigapi.LockArgs,
	wait time.Duration, stopOnLoss bool, argv []string) error {
	l, o := g.lockWait(ctx, c, serial, la, wait)
	if o.err != nil {
		return g.noLease(o)
	}
	keep := context.WithoutCancel(ctx)
	// Taken now, by this clock: at most a round trip later than the
	// manager's own reckoning, so a loss is told that much late at worst.
	r := g.keepLease(keep, c, serial, l.Token, time.Duration(la.TTLS)*time.Second, time.Now(), stopOnLoss)
	code := g.runChild(serial, l.Token, argv, r)
	r.stop()
	if !r.isLost() && g.release(keep, c, serial, l.Token) { // held to the end
		return childStatus(code)
	}
	if code == 0 { // not a success: the fixture was not held throughout
		return cli.Silent(exitLeaseLost)
	}
	return childStatus(code)
}

// release unlocks the lease after the command, and reports whether it was
// still held: a locked or not_locked answer proves it was lost (a forced
// unlock the next renew had not yet told); any other failure proves
// nothing, and the lease ends by itself.
func (g *globals) release(ctx context.Context, c *mqmanager.Client, serial, token string) bool {
	_, o := callOne(ctx, g, c, serial, jigapi.Unlock, jigapi.TokenArgs{Token: token})
	var re *mqmanager.RemoteError
	if errors.As(o.err, &re) && (re.Code == jigapi.CodeLocked || re.Code == jigapi.CodeNotLocked) {
		fmt.Fprintf(g.stderr, "%s\tlease lost before the command ended: unlock %s: %s\n", serial, o.label(), o.detail())
		return false
	}
	if o.err != nil {
		fmt.Fprintf(g.stderr, "%s\tunlock %s: %s (the lease ends by itself)\n", serial, o.label(), o.detail())
	}
	return true
}

func childStatus(code int) error {
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

// runChild runs argv with the lease in its environment, forwarding
// SIGTERM, SIGINT and SIGQUIT unless the terminal sent them to the command
// too, SIGHUP unless it reached the command too (shouldForward), sending
// SIGTERM when r's lease is lost if r says to, and returns its exit
// status. None of these signals ends jigctl while the command runs.
func (g *globals) runChild(serial, token string, argv []string, r *renewal) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, append(endSignals(), syscall.SIGQUIT)...)
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
	lost := r.lost
	for {
		select {
		case s := <-sigs:
			if shouldForward(s, child.Process.Pid) {
				child.Process.Signal(s)
			}
		case <-lost:
			lost = nil
			if r.stopOnLoss {
				child.Process.Signal(syscall.SIGTERM)
			}
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
