package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

// askAll sends method to every serial at once, each with its own deadline,
// and returns the outcomes in argument order.
func (g *globals) askAll(ctx context.Context, c *mqmanager.Client, serials []string, method string, body any) []outcome {
	outs := make([]outcome, len(serials))
	var wg sync.WaitGroup
	for i, serial := range serials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = g.ask(ctx, c, serial, method, body)
		}()
	}
	wg.Wait()
	return outs
}

func (g *globals) ask(ctx context.Context, c *mqmanager.Client, serial, method string, body any) outcome {
	rctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	start := time.Now()
	r, err := c.Request(rctx, serial, method, body)
	return newOutcome(serial, method, r, err, float64(time.Since(start).Microseconds())/1000)
}

// serialsCmd is a command that asks each SERIAL one method and prints the
// outcomes with line.
func serialsCmd(g *globals, use, method, short, example string, line func(outcome) string) *cobra.Command {
	return &cobra.Command{
		Use:               use + " SERIAL...",
		Short:             short,
		Example:           example,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range args {
				if err := mqmanager.CheckSerial(s); err != nil {
					return cli.Exit(exitUsage, err)
				}
			}
			c, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			outs := g.askAll(cmd.Context(), c, args, method, nil)
			return g.report(outs, line)
		},
	}
}

// report prints the outcomes (successes on stdout, failures on stderr in
// text; everything on stdout as a JSON array with -o json) and returns the
// exit status.
func (g *globals) report(outs []outcome, line func(outcome) string) error {
	if g.output == "json" {
		if err := writeJSON(g, outs); err != nil {
			return err
		}
	} else {
		for _, o := range outs {
			if o.err != nil {
				fmt.Fprintf(g.stderr, "%s\t%s: %s\n", o.Serial, o.label(), o.detail())
				continue
			}
			fmt.Fprintln(g.stdout, line(o))
		}
	}
	if code := exitCode(outs); code != exitOK {
		return cli.Silent(code)
	}
	return nil
}

func writeJSON(g *globals, v any) error {
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
