package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newPingCmd(g *globals) *cobra.Command {
	return serialsCmd(g, "ping", jigapi.Ping, "Check that fixtures' managers answer",
		"  jigctl ping JIG-0001 JIG-0002\n  jigctl ping -o json JIG-0001", pingLine)
}

func newStatusCmd(g *globals) *cobra.Command {
	cmd := serialsCmd(g, "status", jigapi.JigStatus, "Read fixtures' status from their controller boards",
		"  jigctl status JIG-0001\n  jigctl status --timeout 5s JIG-0001 JIG-0002 -o json", statusLine)
	cmd.Long = `Read each fixture's status from its controller board, through its manager.
A line is the serial, the state, then identity, port and read: how long the
board took to answer the read. Requests that arrive while a read is in
flight share it; when the read began before this request was sent, the line
says so: "(shared: began 412.0ms before this request arrived)", as the
manager measured it. With -o json, result.read_at says when the read began
and result.began_before_ms how long before the request arrived.`
	return cmd
}

func newFibCmd(g *globals) *cobra.Command {
	var queue string
	cmd := &cobra.Command{
		Use:   "fib SERIAL N | fib --queue QUEUE N",
		Short: "Ask a manager for the Nth Fibonacci number",
		Long: `Ask a manager for F(N), the Nth Fibonacci number, printed in decimal.
With --queue, use the classic RabbitMQ RPC tutorial's wire format instead:
a plain integer to QUEUE (e.g. rpc_queue) through the default exchange.`,
		Example: "  jigctl fib JIG-0001 90\n  jigctl fib --queue rpc_queue 30",
		RunE: func(cmd *cobra.Command, args []string) error {
			args, err := g.fibArgs(cmd, args)
			if err != nil || args == nil {
				return err
			}
			return g.fib(cmd, queue, args)
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "use the RPC tutorial's plain-text `QUEUE` (e.g. rpc_queue)")
	cmd.Flags().SetInterspersed(false)
	calling(cmd, jigapi.Fib.Name())
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 || queue != "" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return g.completeSerials(cmd, nil, prefix)
	}
	return cmd
}

// fibArgs parses the flags after fib's first argument. fib's flags stop at
// its first argument (SetInterspersed(false)), so that in "fib SERIAL -5"
// the -5 reaches the manager as N instead of failing as an unknown
// shorthand flag; the flags that follow are parsed here, negative integers
// excepted. It returns nil arguments when it has printed the help.
func (g *globals) fibArgs(cmd *cobra.Command, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	var rest, negatives []string
	for _, a := range args[1:] {
		if _, err := strconv.Atoi(a); err == nil && strings.HasPrefix(a, "-") {
			negatives = append(negatives, a)
		} else {
			rest = append(rest, a)
		}
	}
	fs := cmd.Flags()
	fs.SetInterspersed(true)
	defer fs.SetInterspersed(false)
	err := fs.Parse(rest)
	if help, _ := fs.GetBool("help"); help || errors.Is(err, pflag.ErrHelp) {
		return nil, cmd.Help()
	}
	if err != nil {
		return nil, cli.Exit(exitUsage, fmt.Errorf("%v (see jigctl fib --help)", err))
	}
	out := append(append([]string{args[0]}, fs.Args()...), negatives...)
	return out, g.check()
}

// fib runs "fib SERIAL N", or "fib --queue QUEUE N".
func (g *globals) fib(cmd *cobra.Command, queue string, args []string) error {
	want := 2
	if queue != "" {
		want = 1
	}
	if len(args) != want {
		return cli.Exit(exitUsage, fmt.Errorf("fib takes %d arguments, got %d", want, len(args)))
	}
	n, err := strconv.Atoi(args[len(args)-1])
	if errors.Is(err, strconv.ErrRange) {
		return cli.Exit(exitUsage, fmt.Errorf("N %s: out of range", args[len(args)-1]))
	}
	if err != nil {
		return cli.Exit(exitUsage, fmt.Errorf("N must be an integer, got %q", args[len(args)-1]))
	}
	if queue != "" {
		return g.fibQueue(cmd, queue, n)
	}
	if err := mqmanager.CheckSerial(args[0]); err != nil {
		return cli.Exit(exitUsage, err)
	}
	c, err := g.dialFor(cmd.Context(), oneShot, jigapi.Fib.Name(), args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	o := ask(g, cmd.Context(), c, args[0], jigapi.Fib, jigapi.FibOf(n))
	return g.report([]outcome{o}, lineOf(fibLine))
}

// queueMethod is the method an outcome of the tutorial's queue RPC names.
const queueMethod = "rpc"

func (g *globals) fibQueue(cmd *cobra.Command, queue string, n int) error {
	c, err := g.dialFor(cmd.Context(), oneShot, queueMethod, queue)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), g.timeout)
	defer cancel()
	start := time.Now()
	body, err := c.CallQueue(ctx, queue, []byte(strconv.Itoa(n)))
	o := newOutcome(queue, queueMethod, nil, err, ms(time.Since(start)))
	if err == nil {
		o.Result, _ = json.Marshal(string(body))
		o.Raw = true
	}
	return g.report([]outcome{o}, func(o outcome) string { return string(body) })
}

func fibLine(_ outcome, r jigapi.FibResult) string { return r.Value }

func pingLine(o outcome, r jigapi.PingResult) string {
	return fmt.Sprintf("%s\tok\tversion=%s host=%s uptime=%s port=%s connected=%t node=%s%s\t%.1fms", o.Serial,
		r.Version, r.Host, (time.Duration(r.UptimeS) * time.Second).String(), r.Port, r.Connected, r.Node,
		heldBy(r.Lease), o.ElapsedMS)
}

// heldBy shows a fixture's lease holder and expiry, " held_by=station-3
// until=2026-12-01T10:00:00Z", or nothing when the fixture is free.
func heldBy(h *jigapi.Holder) string {
	if h == nil {
		return ""
	}
	return fmt.Sprintf(" held_by=%q until=%s", h.Owner, h.ExpiresAt.Format(time.RFC3339))
}

func statusLine(o outcome, r jigapi.Status) string {
	var extra []string
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		if k != jig.QueryIdentity && k != jig.QueryState {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		extra = append(extra, fmt.Sprintf("%s=%q", k, r.Fields[k]))
	}
	return strings.TrimRight(fmt.Sprintf("%s\t%s\tidentity=%q port=%s read=%.1fms%s%s %s", o.Serial, r.State,
		r.Identity, r.Port, r.ReadMS, sharedRead(r), heldBy(r.Lease), strings.Join(extra, " ")), " ")
}

// sharedRead tells, " (shared: began 412.0ms before this request
// arrived)", when the answer is a read that was already in flight when the
// request reached the manager, as the manager measured it
// (began_before_ms): its answers may predate the request, which read=
// alone does not say.
func sharedRead(r jigapi.Status) string {
	if r.BeganBeforeMS <= 0 {
		return ""
	}
	return fmt.Sprintf(" (shared: began %.1fms before this request arrived)", r.BeganBeforeMS)
}

func newStatsCmd(g *globals) *cobra.Command {
	cmd := serialsCmd(g, "stats", jigapi.Stats, "Show managers' request and fixture counters",
		"  jigctl stats JIG-0001\n  jigctl stats -o json JIG-0001 JIG-0002", statsText)
	cmd.Long = `Ask each manager for its counters since it started: per method, the
requests, errors, average and maximum handling time and the last error;
the fixture's status reads (and those answered by a read already in flight),
serial port reconnects and read errors; the broker reconnects, requests
dropped (malformed), expired (their caller had given up) or rejected (not
from one of its security.controller_users), and the requests being handled
now (this Stats request included).

With -o json, the outcome array of status and ping, with the manager's
Stats object as each result.`
	return cmd
}

// statsText renders one manager's Stats as a block of lines.
func statsText(o outcome, st jigapi.StatsResult) string {
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
	fmt.Fprintf(&b, "  board: commands=%d unsolicited_lines=%d echoes_skipped=%d resyncs=%d resync_failures=%d pattern_mismatches=%d fence_failures=%d owed_answers=%d\n",
		fx.Commands, fx.UnsolicitedLines, fx.EchoesSkipped, fx.Resyncs, fx.ResyncFailures, fx.PatternMismatches,
		fx.FenceFailures, fx.OwedAnswers)
	fmt.Fprintf(&b, "  server: node=%s broker_reconnects=%d dropped=%d expired=%d rejected=%d in_flight=%d",
		sv.Node, sv.Reconnects, sv.Dropped, sv.Expired, sv.Rejected, sv.InFlight)
	return b.String()
}

// methodTable prints the per-method counters, sorted by method.
func methodTable(b *strings.Builder, methods map[string]jigapi.MethodStats) {
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
