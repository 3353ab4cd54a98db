package main

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// terminal is implemented by an output that knows whether it is a terminal
// (tests use it to drive the redrawing display).
type terminal interface{ IsTerminal() bool }

// isTerminal reports whether w is a terminal: a terminal implementation's
// answer, or for an *os.File whether its descriptor has terminal settings.
func isTerminal(w io.Writer) bool {
	if t, ok := w.(terminal); ok {
		return t.IsTerminal()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

const watchLong = `Ask each fixture for its status every --interval (each request bounded by
--timeout) until Ctrl-C, or --count rounds.

On a terminal, a table is redrawn in place: each fixture's state (the
board's state, or the error code or outcome when there is no status, e.g.
serial_unavailable or timeout), since when, and what it was before.
Piped, one line is appended per change only, with a timestamp:
  2025-01-02T15:04:05.000+01:00  JIG-0001  READY -> serial_unavailable  <message>
With -o json, one JSON object per line per change: the outcome of status
and ping plus "time", "state" and "previous".

Exit status: 0 when stopped by Ctrl-C or after --count rounds, whatever the
fixtures answered; 2 for a usage error; 5 when the broker cannot be reached
at the start (later losses are shown as broker_unreachable).`

func newWatchCmd(g *globals) *cobra.Command {
	var interval time.Duration
	var count int
	cmd := &cobra.Command{
		Use:   "watch SERIAL...",
		Short: "Re-read fixtures' status every --interval and show the changes",
		Long:  watchLong,
		Example: "  jigctl watch JIG-0001 JIG-0002\n  jigctl watch --interval 5s JIG-0001 | tee watch.log\n" +
			"  jigctl watch --count 10 -o json JIG-0001",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: g.completeSerials,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkSerials(args); err != nil {
				return err
			}
			if interval <= 0 || count < 0 {
				return cli.Exit(exitUsage, errors.New("--interval must be positive and --count not negative"))
			}
			c, err := g.dial(cmd.Context())
			if err != nil {
				return err
			}
			defer c.Close()
			w := &watcher{g: g, serials: args, interval: interval, tty: g.output == "text" && isTerminal(g.stdout),
				rows: map[string]*watchRow{}}
			return w.run(cmd.Context(), c, count)
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between the starts of two rounds")
	cmd.Flags().IntVar(&count, "count", 0, "stop after `N` rounds (0: until Ctrl-C)")
	return cmd
}

func checkSerials(serials []string) error {
	for _, s := range serials {
		if err := mqmanager.CheckSerial(s); err != nil {
			return cli.Exit(exitUsage, err)
		}
	}
	return nil
}

// watcher is one watch: the fixtures and what each was last seen as.
type watcher struct {
	g        *globals
	serials  []string
	interval time.Duration
	tty      bool
	rows     map[string]*watchRow
	round    int
	changes  []string // the latest changes, for the terminal display
}

// watchRow is a fixture's latest outcome and state.
type watchRow struct {
	o      outcome
	state  string
	prev   string
	since  time.Time
	change bool // the state changed in the latest round
}

// watchEvent is a change as printed with -o json.
type watchEvent struct {
	Time     time.Time `json:"time"`
	State    string    `json:"state"`
	Previous string    `json:"previous"` // empty on the first round
	outcome
}

// run asks round after round until ctx ends or count rounds are done.
func (w *watcher) run(ctx context.Context, c *mqmanager.Client, count int) error {
	for count == 0 || w.round < count {
		start := time.Now()
		outs := askAll(w.g, ctx, c, w.serials, jigapi.JigStatus, jigapi.NoArgs{})
		if ctx.Err() != nil {
			return nil // Ctrl-C: the round's outcomes are the cancellation's
		}
		w.round++
		w.update(outs, time.Now())
		if err := w.print(); err != nil {
			return err
		}
		if count != 0 && w.round >= count {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(start.Add(w.interval))):
		}
	}
	return nil
}

// stateOf names an outcome for watching: the board's state, the error
// reply's code, or the outcome.
func stateOf(o outcome) string {
	switch {
	case o.Outcome == "ok":
		if st, ok := o.value.(jigapi.Status); ok && st.State != "" {
			return st.State
		}
		return "ok"
	case o.Error != nil && o.Error.Code != "":
		return o.Error.Code
	}
	return o.Outcome
}
