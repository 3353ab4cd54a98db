package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

// askAll calls m with args on every serial at once, each with its own
// deadline, and returns the outcomes in argument order.
func askAll[A, R any](g *globals, ctx context.Context, c *mqmanager.Client, serials []string,
	m jigapi.Method[A, R], args A) []outcome {
	outs := make([]outcome, len(serials))
	var wg sync.WaitGroup
	for i, serial := range serials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = ask(g, ctx, c, serial, m, args)
		}()
	}
	wg.Wait()
	return outs
}

// ask calls m with args on serial within --timeout.
func ask[A, R any](g *globals, ctx context.Context, c *mqmanager.Client, serial string,
	m jigapi.Method[A, R], args A) outcome {
	rctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	start := time.Now()
	r, err := mqmanager.Call(rctx, c, serial, m, args)
	return newOutcome(serial, m.Name(), r, err, ms(time.Since(start)))
}

// methodAnnotation names, on a command, the contract method it calls: a
// test checks that every method has a command.
const methodAnnotation = "jigmq-method"

// calling marks cmd as the command that calls the contract's methods
// names, the i-th as the i-th line of cmd's Example shows.
func calling(cmd *cobra.Command, names ...string) *cobra.Command {
	cmd.Annotations = map[string]string{methodAnnotation: strings.Join(names, ",")}
	return cmd
}

// serialsCmd is a command that asks each SERIAL method m (without
// arguments) and prints each result with line.
func serialsCmd[R any](g *globals, use string, m jigapi.Method[jigapi.NoArgs, R], short, example string,
	line func(outcome, R) string) *cobra.Command {
	return calling(&cobra.Command{
		Use:               use + " SERIAL...",
		Short:             short,
		Example:           example,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSerials(args); err != nil {
				return err
			}
			c, err := g.dialFor(cmd.Context(), oneShot, m.Name(), args...)
			if err != nil {
				return err
			}
			defer c.Close()
			return g.report(askAll(g, cmd.Context(), c, args, m, jigapi.NoArgs{}), lineOf(line))
		},
	}, m.Name())
}

// lineOf prints an ok outcome with line, given its typed result; a raw
// reply (an older manager) is printed as it came.
func lineOf[R any](line func(outcome, R) string) func(outcome) string {
	return func(o outcome) string {
		r, ok := o.value.(R)
		if o.Raw || !ok {
			return fmt.Sprintf("%s\tok (raw reply)\t%s", o.Serial, o.Result)
		}
		return line(o, r)
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
