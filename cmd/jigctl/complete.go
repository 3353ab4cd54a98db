package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

// completionTimeout bounds the broadcast that completes serials: a shell
// must not hang on a slow broker.
const completionTimeout = 500 * time.Millisecond

// completeSerials offers the serials of the managers on the bus (a quick
// broadcast Ping) that start with toComplete and are not in args yet.
// Without a broker it offers nothing.
func (g *globals) completeSerials(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	const directive = cobra.ShellCompDirectiveNoFileComp
	if g.check() != nil {
		return nil, directive
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, min(g.timeout, completionTimeout))
	defer cancel()
	c, err := g.dial(ctx)
	if err != nil {
		return nil, directive
	}
	defer c.Close()
	var serials []string
	c.Broadcast(ctx, "Ping", nil, func(r *mqmanager.Reply, err error) bool {
		if e := pingEntry(r, err, 0); e.Serial != "" && strings.HasPrefix(e.Serial, toComplete) &&
			!slices.Contains(args, e.Serial) {
			serials = append(serials, e.Serial)
		}
		return true
	})
	slices.Sort(serials)
	return slices.Compact(serials), directive
}
