package main

import (
	"os"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newQueryCmd(g *globals) *cobra.Command {
	var token string
	cmd := &cobra.Command{
		Use:   "query SERIAL COMMAND",
		Short: "Send one command line to a fixture's board and print its answer",
		Long: `Send one command line to a fixture's controller board, through its manager
(the Query method), and print the board's answer line. The manager allows
only the commands of its fixture.commands.allow (others: forbidden). A
command without '?' changes the board and needs the fixture's lease:
pass its token with --token (env JIG_LOCK_TOKEN, as with-lock sets it).`,
		Example: "  jigctl query JIG-0001 'MEAS:TEMP?'\n" +
			"  jigctl query JIG-0001 'OUTP ON' --token \"$JIG_LOCK_TOKEN\"\n  jigctl query -o json JIG-0001 '*IDN?'",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			if token == "" {
				token = os.Getenv("JIG_LOCK_TOKEN")
			}
			return g.one(cmd.Context(), jigapi.Query.Name(), args[0], oneShot, func(c *mqmanager.Client) error {
				r, o := callOne(cmd.Context(), g, c, args[0], jigapi.Query,
					jigapi.QueryArgs{Command: args[1], Token: token})
				return g.report([]outcome{o}, func(outcome) string { return r.Answer })
			})
		},
	}
	cmd.Flags().StringVar(&token, "token", "", "the fixture's lease `TOKEN`, for a command that changes the board")
	return calling(cmd, jigapi.Query.Name())
}
