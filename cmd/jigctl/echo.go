package main

import (
	"fmt"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newEchoCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "echo SERIAL TEXT",
		Short: "Send text through a fixture's manager and back, without its board",
		Long: `Send TEXT to a fixture's manager (the Echo method), which answers with it:
the request path to that fixture and back, timed, with a payload (ping
carries none), leaving the board alone.`,
		Example:           "  jigctl echo JIG-0001 hello\n  jigctl echo -o json JIG-0001 \"$(head -c 3000 /dev/urandom | base64 -w0)\"",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.one(cmd.Context(), jigapi.Echo.Name(), args[0], oneShot, func(c *mqmanager.Client) error {
				o := ask(g, cmd.Context(), c, args[0], jigapi.Echo, jigapi.EchoArgs{Text: args[1]})
				return g.report([]outcome{o}, lineOf(func(o outcome, r jigapi.EchoResult) string {
					return fmt.Sprintf("%s\t%s\t%.1fms", r.Serial, r.Text, o.ElapsedMS)
				}))
			})
		},
	}
	return calling(cmd, jigapi.Echo.Name())
}
