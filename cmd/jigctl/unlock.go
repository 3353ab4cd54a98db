package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newUnlockCmd(g *globals) *cobra.Command {
	var token string
	var force bool
	cmd := &cobra.Command{
		Use:   "unlock SERIAL --token TOKEN | unlock SERIAL --force",
		Short: "Release a fixture's lease",
		Long: `Release a fixture's lease, given its token. --force releases it whoever
holds it, without the token: for the manager's security.admin_users (others
get forbidden).`,
		Example:           "  jigctl unlock JIG-0001 --token \"$TOKEN\"\n  jigctl unlock JIG-0001 --force",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !force && token == "" {
				return cli.Exit(exitUsage, errors.New("unlock: give --token TOKEN (or env JIG_LOCK_TOKEN), or --force"))
			}
			method := jigapi.Unlock.Name()
			if force {
				method = jigapi.ForceUnlock.Name()
			}
			return g.one(cmd.Context(), method, args[0], oneShot, func(c *mqmanager.Client) error {
				var r jigapi.Released
				var o outcome
				if force {
					r, o = callOne(cmd.Context(), g, c, args[0], jigapi.ForceUnlock, jigapi.NoArgs{})
				} else {
					r, o = callOne(cmd.Context(), g, c, args[0], jigapi.Unlock, jigapi.TokenArgs{Token: token})
				}
				return g.report([]outcome{o}, func(outcome) string {
					return fmt.Sprintf("%s\treleased\t%s", o.Serial, r.Owner)
				})
			})
		},
	}
	cmd.Flags().StringVar(&token, "token", os.Getenv("JIG_LOCK_TOKEN"), "the lease's `TOKEN` (env JIG_LOCK_TOKEN)")
	cmd.Flags().BoolVar(&force, "force", false, "release it whoever holds it (an administrator's)")
	return calling(cmd, jigapi.Unlock.Name(), jigapi.ForceUnlock.Name())
}
