package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
)

// listEntry is one manager that answered the broadcast Ping, as printed
// with -o json (a stable schema).
type listEntry struct {
	Serial    string  `json:"serial"`  // empty for a raw reply (an older manager)
	Outcome   string  `json:"outcome"` // ok, error_reply, or missing (--expected: did not answer); when list found nobody, its outcome (broker_unreachable, ...)
	Host      string  `json:"host"`
	Version   string  `json:"version"`
	UptimeS   float64 `json:"uptime_s"`
	Port      string  `json:"port"`
	Connected bool    `json:"connected"`
	Node      string  `json:"node,omitempty"` // the broker node the manager serves from
	// Lease is who holds the fixture's lease; omitted if nobody.
	Lease *jigapi.Holder `json:"lease,omitempty"`
	// LastReadAt is the fixture's last successful status read, from the
	// manager's Stats; null when unknown (see Stats) or never read.
	LastReadAt *time.Time `json:"last_read_at"`
	// Stats is the outcome of the Stats request that fetched LastReadAt:
	// ok, error_reply, timeout, ..., or not_asked.
	Stats     string          `json:"stats"`
	Raw       bool            `json:"raw,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"` // a raw reply's body
	Error     *outcomeError   `json:"error,omitempty"`
	ElapsedMS float64         `json:"elapsed_ms"` // from the broadcast to this reply
}

func newListCmd(g *globals) *cobra.Command {
	var expect int
	var expected string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Discover the fixtures on the bus (broadcast Ping)",
		Long: `Broadcast Ping to every manager (routing key _all.Req.Ping) and collect
the replies until --timeout, or until --expect N managers have answered
(and, with --expected FILE, every fixture the file lists).
Each one found is also asked for its Stats, within the same deadline, for
the time of its fixture's last status read (LAST-READ): "never" if it has
not read yet, "-" if its Stats did not answer in time.

--expected FILE names the fixtures expected on the floor: one serial a
line, # comments (jig-gateway's fleet.inventory format). Each one that
did not answer is shown as missing (with -o json, an entry with outcome
"missing"). A manager that answers raw (an older one) names no serial, so
it cannot count.

Exit status: 0 when at least one manager answered (and, with --expect N, at
least N did; with --expected, every expected fixture did); 3 when none
did, fewer than N, or an expected fixture is missing; 4 when no manager is
bound at all; 5 when the broker is unreachable; 2 for a usage error (an
unreadable or bad --expected file among them); 130 when Ctrl-C ends it
before its answers are in (having shown those that answered by then).`,
		Example: "  jigctl list\n  jigctl list --expect 12 --timeout 5s\n  jigctl list -o json\n" +
			"  jigctl list --expected /etc/jigmq/floor-2.txt",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if expect < 0 {
				return cli.Exit(exitUsage, fmt.Errorf("--expect %d: must not be negative", expect))
			}
			return g.list(cmd.Context(), expect, expected)
		},
	}
	cmd.Flags().IntVar(&expect, "expect", 0, "return as soon as `N` managers have answered; exit 3 if fewer do")
	cmd.Flags().StringVar(&expected, "expected", "", "the inventory `FILE` of the serials expected; exit 3 if one is missing")
	return cmd
}

func (g *globals) list(ctx context.Context, expect int, expectedFile string) error {
	w, err := newWanted(expect, expectedFile)
	if err != nil {
		return err
	}
	c, err := g.dial(ctx, oneShot)
	if isUsage(err) {
		return err
	}
	var entries []*listEntry
	if err == nil {
		defer c.Close()
		dctx, cancel := context.WithTimeout(ctx, g.timeout)
		defer cancel()
		entries, err = discover(dctx, c, w.saw)
	}
	if err != nil {
		return g.listFailed(w, entries, err)
	}
	missing := w.missing()
	if err := g.printList(sortEntries(append(slices.Clone(entries), missing...))); err != nil {
		return err
	}
	return w.status(len(entries), missing, g.timeout)
}

// listFailed ends a list that did not run its course: no manager bound,
// the broker unreachable, an interrupt. An interrupt after some managers
// answered shows those (not the expected ones that had not yet: they are
// not known missing). Otherwise, with -o json the array holds what is
// known: each expected fixture (--expected) with that outcome (missing,
// when no manager is bound at all), or nothing. The error says it on
// stderr.
func (g *globals) listFailed(w *wanted, found []*listEntry, err error) error {
	outcome, code := classify(err)
	if code == exitInterrupted && len(found) > 0 {
		if perr := g.printList(found); perr != nil {
			return perr
		}
		return cli.Exit(code, fmt.Errorf("list: %s after %d answered: %w", outcome, len(found), err))
	}
	if code == exitNoFixture {
		err = errors.New("no manager is bound on the bus")
	}
	if g.output == "json" {
		entries := w.missing()
		for _, e := range entries {
			if code != exitNoFixture {
				e.Outcome, e.Error = outcome, &outcomeError{Message: err.Error()}
			}
		}
		if perr := g.printList(entries); perr != nil {
			return perr
		}
	}
	return cli.Exit(code, fmt.Errorf("list: %s: %w", outcome, err))
}

// discover broadcasts Ping and collects the answers until ctx ends or
// enough says, of the latest, that enough have answered. Each manager
// found is asked for its Stats at once, concurrently, within ctx. The
// entries are sorted by serial.
func discover(ctx context.Context, c *mqmanager.Client, enough func(*listEntry) bool) ([]*listEntry, error) {
	var entries []*listEntry
	var wg sync.WaitGroup
	start := time.Now()
	err := c.Discover(ctx, func(serial string, p jigapi.PingResult, err error) bool {
		e := pingEntry(serial, p, err, ms(time.Since(start)))
		entries = append(entries, e)
		if e.Serial != "" && e.Outcome == "ok" {
			wg.Add(1)
			go func() { defer wg.Done(); e.fetchLastRead(ctx, c) }()
		}
		return !enough(e)
	})
	wg.Wait()
	return sortEntries(entries), err
}

// sortEntries sorts entries by serial, and returns them.
func sortEntries(entries []*listEntry) []*listEntry {
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Serial < entries[j].Serial })
	return entries
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pingEntry makes an entry of one answer to the broadcast Ping, from the
// manager of serial.
func pingEntry(serial string, p jigapi.PingResult, err error, elapsed float64) *listEntry {
	e := &listEntry{Outcome: "ok", Stats: "not_asked", ElapsedMS: elapsed}
	var re *mqmanager.RemoteError
	var raw *mqmanager.RawReplyError
	switch {
	case errors.As(err, &re):
		e.Serial, e.Outcome = re.Serial, "error_reply"
		e.Error = &outcomeError{Code: re.Code, Message: re.Message}
	case errors.As(err, &raw):
		e.Raw, e.Result = true, rawResult(raw.Reply)
	case err != nil:
		e.Outcome = "failed"
		e.Error = &outcomeError{Message: err.Error()}
	default:
		e.Serial, e.Host, e.Version, e.UptimeS, e.Port, e.Connected, e.Node, e.Lease =
			cmp.Or(p.Serial, serial), p.Host, p.Version, p.UptimeS, p.Port, p.Connected, p.Node, p.Lease
	}
	return e
}

// fetchLastRead asks the manager for its Stats within ctx.
func (e *listEntry) fetchLastRead(ctx context.Context, c *mqmanager.Client) {
	st, err := c.Stats(ctx, e.Serial)
	e.Stats, _ = classify(err)
	if err != nil {
		return
	}
	if !st.Fixture.LastReadAt.IsZero() {
		t := st.Fixture.LastReadAt
		e.LastReadAt = &t
	}
}

// printList prints the entries as a table, or a JSON array with -o json.
func (g *globals) printList(entries []*listEntry) error {
	if g.output == "json" {
		if entries == nil {
			entries = []*listEntry{}
		}
		return writeJSON(g, entries)
	}
	if len(entries) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tHOST\tVERSION\tUPTIME\tPORT\tCONNECTED\tLAST-READ\tHELD-BY")
	for _, e := range entries {
		switch {
		case e.Raw:
			fmt.Fprintf(tw, "?\t(raw reply: %s)\t\t\t\t\t\n", e.Result)
		case e.Outcome == outcomeMissing:
			fmt.Fprintf(tw, "%s\t(missing: expected, did not answer)\t\t\t\t\t\n", e.Serial)
		case e.Error != nil:
			fmt.Fprintf(tw, "%s\t(error reply: %s: %s)\t\t\t\t\t\n", e.Serial, e.Error.Code, e.Error.Message)
		default:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\t%s\t%s\n", e.Serial, e.Host, e.Version,
				(time.Duration(e.UptimeS) * time.Second).String(), e.Port, e.Connected, e.lastRead(time.Now()), e.heldBy(time.Now()))
		}
	}
	return tw.Flush()
}

// lastRead is the LAST-READ column: the age of the last read, "never", or
// "-" when the Stats request did not answer.
func (e *listEntry) lastRead(now time.Time) string {
	switch {
	case e.Stats != "ok":
		return "-"
	case e.LastReadAt == nil:
		return "never"
	}
	return now.Sub(*e.LastReadAt).Round(time.Second).String() + " ago"
}

// heldBy is the HELD-BY column: the lease's owner and how long it has
// left, or "-".
func (e *listEntry) heldBy(now time.Time) string {
	if e.Lease == nil {
		return "-"
	}
	return fmt.Sprintf("%s (%s left)", e.Lease.Owner, e.Lease.ExpiresAt.Sub(now).Round(time.Second))
}

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
	c, err := g.dial(ctx, oneShot)
	if err != nil {
		return nil, directive
	}
	defer c.Close()
	var serials []string
	c.Discover(ctx, func(serial string, p jigapi.PingResult, err error) bool {
		if e := pingEntry(serial, p, err, 0); e.Serial != "" && strings.HasPrefix(e.Serial, toComplete) &&
			!slices.Contains(args, e.Serial) {
			serials = append(serials, e.Serial)
		}
		return true
	})
	slices.Sort(serials)
	return slices.Compact(serials), directive
}
