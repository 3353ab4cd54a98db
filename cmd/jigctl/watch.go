package main

import (
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

const watchLong = `Show fixtures' state as it changes, until Ctrl-C or --count rounds.

Events (push): watch follows the managers' events (<serial>.Evt.*, see
docs/protocol.md) and updates a fixture's row as soon as one arrives: its
board disconnected (shown as serial_unavailable), a new state, a new lease
holder. A manager reports the state its last status read saw, so when a
board connects, or its manager has not read it yet, watch reads its status
at once. A broker user that may not bind <serial>.Evt.* gets a warning on
stderr, and every fixture is polled.

Polling: every --interval a round asks JigStatus (each request bounded by
--timeout) of the fixtures that send no events: every fixture until its
first event arrives, older managers, managers with events.off. A manager
that stops cleanly says so (its Stopped event) and is shown as "stopped"
at once; one silent for three of its heartbeats (lost, crashed) is shown
as "stale", and read at once. Either is polled from then on, until its
events come back. When watch loses its own event link to the broker, no
row shown from events is trusted any longer: each is shown as
broker_unreachable (via "lost") and read at once, and polled until its
events come back.

On a terminal, a table is redrawn in place: each fixture's state (the
board's state, or the error code or outcome when there is no status, e.g.
serial_unavailable, timeout or stale), since when, what it was before, who
holds its lease, and whether it is followed by events or polled.
Piped, one line is appended per change only, with a timestamp:
  2025-01-02T15:04:05.000+01:00  JIG-0001  READY -> serial_unavailable  <message>
(a change of lease holder adds "held by OWNER" or "not held").
With -o json, one JSON object per line per change: the outcome of status
and ping plus "time", "state", "previous", "holder" and "via" (poll, event,
stale or lost); a change seen in an event has method "Evt.<Kind>" and the event
as its result.

Exit status: 0 when stopped by Ctrl-C or after --count rounds, whatever the
fixtures answered; 2 for a usage error; 5 when the broker cannot be reached
at the start (later losses are shown as broker_unreachable); 130 when
Ctrl-C comes before it has connected.`

func newWatchCmd(g *globals) *cobra.Command {
	var interval time.Duration
	var count int
	cmd := &cobra.Command{
		Use:   "watch SERIAL...",
		Short: "Follow fixtures' events (polling those that send none) and show the changes",
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
			w := newWatcher(g, args, interval)
			start := time.Now()
			c, err := g.dial(cmd.Context(), ongoing)
			if err != nil {
				return w.unreachable(err, ms(time.Since(start)))
			}
			defer c.Close()
			return w.run(cmd.Context(), c, count)
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "time between the starts of two polling rounds")
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

// watcher is one watch: the fixtures and what each was last seen as. Only
// its loop (run) touches it.
type watcher struct {
	g        *globals
	serials  []string
	interval time.Duration
	tty      bool
	rows     map[string]*watchRow
	round    int
	changes  []string // the latest changes, for the terminal display
	dirty    bool     // something to redraw on the terminal
}

func newWatcher(g *globals, serials []string, interval time.Duration) *watcher {
	w := &watcher{g: g, serials: serials, interval: interval, tty: g.output == "text" && isTerminal(g.stdout),
		rows: map[string]*watchRow{}}
	for _, s := range serials {
		w.rows[s] = &watchRow{}
	}
	return w
}

// unreachable ends a watch that could not connect: with -o json each
// fixture's first line is the outcome (broker unreachable, canceled), as
// a later loss would be shown, and the error is the exit status alone; in
// text, the error as it is.
func (w *watcher) unreachable(err error, elapsed float64) error {
	if w.g.output != "json" || isUsage(err) {
		return err
	}
	now := time.Now()
	for _, s := range w.serials {
		o := newOutcome(s, jigapi.JigStatus.Name(), nil, err, elapsed)
		w.set(s, o, stateOf(o), "", "poll", now)
	}
	if perr := w.print(); perr != nil {
		return perr
	}
	_, code := classify(err)
	return cli.Silent(code)
}

// watchRow is a fixture's latest outcome, state and lease holder; state
// is "" until it is first known.
type watchRow struct {
	o      outcome
	state  string
	prev   string
	holder string
	since  time.Time // when the state became what it is
	at     time.Time // when the latest change was seen
	via    string    // what showed the latest outcome: poll, event, stale or lost
	moved  bool      // the latest change is of the state
	held   bool      // the latest change is of the holder
	change bool      // a change not printed yet
	push   pushState
}

// pushState is how a fixture's events are followed.
type pushState struct {
	on    bool          // its events arrive: it is not polled
	last  time.Time     // when its latest event arrived (jigctl's clock)
	every time.Duration // its manager's heartbeat
}

// watchEvent is a change as printed with -o json.
type watchEvent struct {
	Time     time.Time `json:"time"`
	State    string    `json:"state"`
	Previous string    `json:"previous"` // empty on the first change
	Holder   string    `json:"holder"`   // the lease holder, "" if none (or not known yet)
	Via      string    `json:"via"`      // poll, event, stale or lost
	outcome
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
