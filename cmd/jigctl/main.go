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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.Finish("jigctl", err, os.Stderr))
}
