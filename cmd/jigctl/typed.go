package main

import (
	"context"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// Exit codes of the lease outcomes (beside those of outcome.go).
const (
	exitLocked    = 6   // an error reply "locked": another owner holds the fixture's lease
	exitNotLocked = 7   // an error reply "not_locked": the request needs a lease that is not held
	exitNoLease   = 125 // with-lock never got the lease (the reason on stderr)
	exitLeaseLost = 124 // with-lock's command exited 0, but the lease was lost while it ran
)

const leaseExitHelp = `  6  locked: another owner holds the fixture's lease (or the token is stale)
  7  not_locked: the request needs the fixture's lease and came without its
     token (whether or not someone holds it)`

// remoteExit is the exit code of an error reply with code.
func remoteExit(code string) int {
	switch code {
	case jigapi.CodeLocked:
		return exitLocked
	case jigapi.CodeNotLocked:
		return exitNotLocked
	}
	return exitFailed
}

// callOne asks serial's manager to run m with args within the timeout, and
// returns the typed result with its outcome.
func callOne[A, R any](ctx context.Context, g *globals, c *mqmanager.Client, serial string,
	m jigapi.Method[A, R], args A) (R, outcome) {
	o := ask(g, ctx, c, serial, m, args)
	r, _ := o.value.(R)
	return r, o
}

// one checks serial, dials for method (dialFor), and runs fn with the
// client.
func (g *globals) one(ctx context.Context, method, serial string, life lifetime, fn func(*mqmanager.Client) error) error {
	if err := mqmanager.CheckSerial(serial); err != nil {
		return cli.Exit(exitUsage, err)
	}
	c, err := g.dialFor(ctx, life, method, serial)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}
