// Command jigctl asks test fixtures on the RabbitMQ bus for their status,
// with a deadline and an honest outcome. See jigctl --help.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jigmq/jigmq/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), endSignals()...)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.Finish("jigctl", err, os.Stderr))
}

// endSignals are the signals that end a command as an interrupt does: a
// wait ends with its outcome, a lease taken is released. A hangup (the
// terminal or the SSH session gone) is one, unless jigctl was started with
// it ignored (nohup): it stays ignored then.
func endSignals() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}
