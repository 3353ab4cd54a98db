package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

func newStatsCmd(g *globals) *cobra.Command {
	cmd := serialsCmd(g, "stats", "Stats", "Show managers' request and fixture counters",
		"  jigctl stats JIG-0001\n  jigctl stats -o json JIG-0001 JIG-0002", statsText)
	cmd.Long = `Ask each manager for its counters since it started: per method, the
requests, errors, average and maximum handling time and the last error;
the fixture's status reads (and those answered by a read already in flight),
serial port reconnects and read errors; the broker reconnects, requests
dropped (malformed) or expired (their caller had given up), and the requests
being handled now (this Stats request included).

With -o json, the outcome array of status and ping, with the manager's
Stats object as each result.`
	return cmd
}

// statsText renders one manager's Stats as a block of lines.
func statsText(o outcome) string {
	var st manager.StatsResult
	if o.Raw || json.Unmarshal(o.Result, &st) != nil {
		return fmt.Sprintf("%s\t(raw reply)\t%s", o.Serial, o.Result)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  uptime %s\n", o.Serial, (time.Duration(st.UptimeS) * time.Second).String())
	methodTable(&b, st.Server.Methods)
	fx, sv := st.Fixture, st.Server
	lastRead := "never"
	if !fx.LastReadAt.IsZero() {
		lastRead = fx.LastReadAt.Format(time.RFC3339)
	}
	fmt.Fprintf(&b, "  fixture: connected=%t reads=%d coalesced_reads=%d serial_reconnects=%d read_errors=%d last_read=%s\n",
		fx.Connected, fx.Reads, fx.CoalescedReads, fx.Reconnects, fx.Errors, lastRead)
	fmt.Fprintf(&b, "  server: broker_reconnects=%d dropped=%d expired=%d in_flight=%d",
		sv.Reconnects, sv.Dropped, sv.Expired, sv.InFlight)
	return b.String()
}

// methodTable prints the per-method counters, sorted by method.
func methodTable(b *strings.Builder, methods map[string]mqmanager.MethodStats) {
	tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  METHOD\tREQUESTS\tERRORS\tAVG_MS\tMAX_MS\tLAST ERROR")
	names := make([]string, 0, len(methods))
	for name := range methods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := methods[name]
		last := "-"
		if m.LastError != "" {
			last = m.LastError
			if !m.LastErrorAt.IsZero() {
				last += " (" + m.LastErrorAt.Format(time.RFC3339) + ")"
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%.2f\t%.2f\t%s\n", name, m.Requests, m.Errors, m.AvgMS, m.MaxMS, last)
	}
	tw.Flush()
}
