package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newPingCmd(g *globals) *cobra.Command {
	return serialsCmd(g, "ping", "Ping", "Check that fixtures' managers answer",
		"  jigctl ping JIG-0001 JIG-0002\n  jigctl ping -o json JIG-0001", pingLine)
}

func newStatusCmd(g *globals) *cobra.Command {
	return serialsCmd(g, "status", "JigStatus", "Read fixtures' status from their controller boards",
		"  jigctl status JIG-0001\n  jigctl status --timeout 5s JIG-0001 JIG-0002 -o json", statusLine)
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
			want := 2
			if queue != "" {
				want = 1
			}
			if len(args) != want {
				return cli.Exit(exitUsage, fmt.Errorf("fib takes %d arguments, got %d", want, len(args)))
			}
			n, err := strconv.Atoi(args[len(args)-1])
			if err != nil {
				return cli.Exit(exitUsage, fmt.Errorf("N must be an integer, got %q", args[len(args)-1]))
			}
			if queue != "" {
				return g.fibQueue(cmd, queue, n)
			}
			c, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			o := g.ask(cmd.Context(), c, args[0], "Fib", map[string]int{"n": n})
			return g.report([]outcome{o}, fibLine)
		},
	}
	cmd.Flags().StringVar(&queue, "queue", "", "use the RPC tutorial's plain-text `QUEUE` (e.g. rpc_queue)")
	cmd.Flags().SetInterspersed(false)
	cmd.ValidArgsFunction = func(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
		if len(args) == 0 && queue == "" {
			return g.completeSerials(cmd, nil, prefix)
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
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
	switch err := fs.Parse(rest); {
	case errors.Is(err, pflag.ErrHelp):
		return nil, cmd.Help()
	case err != nil:
		return nil, cli.Exit(exitUsage, fmt.Errorf("%v (see jigctl fib --help)", err))
	}
	out := append(append([]string{args[0]}, fs.Args()...), negatives...)
	return out, g.check()
}

func (g *globals) fibQueue(cmd *cobra.Command, queue string, n int) error {
	c, err := g.dial(cmd.Context())
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := contextTimeout(cmd, g.timeout)
	defer cancel()
	start := time.Now()
	body, err := c.CallQueue(ctx, queue, []byte(strconv.Itoa(n)))
	o := newOutcome(queue, "rpc", nil, err, float64(time.Since(start).Microseconds())/1000)
	if err == nil {
		o.Result, _ = json.Marshal(string(body))
		o.Raw = true
	}
	return g.report([]outcome{o}, func(o outcome) string { return string(body) })
}

func fibLine(o outcome) string {
	var r struct {
		Value string `json:"value"`
	}
	if json.Unmarshal(o.Result, &r) != nil || r.Value == "" {
		return string(o.Result)
	}
	return r.Value
}

func pingLine(o outcome) string {
	var r struct {
		Version   string  `json:"version"`
		Host      string  `json:"host"`
		UptimeS   float64 `json:"uptime_s"`
		Port      string  `json:"port"`
		Connected bool    `json:"connected"`
	}
	if o.Raw || json.Unmarshal(o.Result, &r) != nil {
		return fmt.Sprintf("%s\tok (raw reply)\t%s", o.Serial, o.Result)
	}
	return fmt.Sprintf("%s\tok\tversion=%s host=%s uptime=%s port=%s connected=%t\t%.1fms", o.Serial,
		r.Version, r.Host, (time.Duration(r.UptimeS) * time.Second).String(), r.Port, r.Connected, o.ElapsedMS)
}

func statusLine(o outcome) string {
	var r struct {
		Identity string            `json:"identity"`
		State    string            `json:"state"`
		Port     string            `json:"port"`
		Fields   map[string]string `json:"fields"`
		ReadMS   float64           `json:"read_ms"`
	}
	if o.Raw || json.Unmarshal(o.Result, &r) != nil {
		return fmt.Sprintf("%s\t(raw reply)\t%s", o.Serial, o.Result)
	}
	var extra []string
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		if k != "identity" && k != "state" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		extra = append(extra, fmt.Sprintf("%s=%q", k, r.Fields[k]))
	}
	return strings.TrimRight(fmt.Sprintf("%s\t%s\tidentity=%q port=%s read=%.1fms %s", o.Serial, r.State,
		r.Identity, r.Port, r.ReadMS, strings.Join(extra, " ")), " ")
}
