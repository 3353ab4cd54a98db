// Command jig-gateway follows the fixtures' events on the RabbitMQ bus and
// serves the floor over HTTP: a JSON API under /api/v1, server-sent
// events, a live dashboard at / and Prometheus metrics at /metrics.
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
	os.Exit(cli.Finish("jig-gateway", err, os.Stderr))
}
