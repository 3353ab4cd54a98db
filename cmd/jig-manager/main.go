// Command jig-manager answers a fixture's requests on the RabbitMQ bus: it
// reads the fixture's controller board over its serial port and replies.
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
	os.Exit(cli.Finish("jig-manager", err, os.Stderr))
}
