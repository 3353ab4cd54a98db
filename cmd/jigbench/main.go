// Command jigbench measures jigmq against the local broker in one run and
// prints every figure with its target, PASS or MISS, and its ratio to a bare
// amqp091-go baseline measured in the same run. See jigbench --help and
// docs/benchmarks.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "jigbench:", err)
		os.Exit(1)
	}
}
