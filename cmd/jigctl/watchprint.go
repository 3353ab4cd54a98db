package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"
)

// ANSI: cursor home, then clear the screen.
const clearScreen = "\x1b[H\x1b[2J"

// keepChanges is how many recent changes the terminal display shows.
const keepChanges = 8

const stampFormat = "2006-01-02T15:04:05.000Z07:00"

// update records a round's outcomes, marking the fixtures whose state
// changed.
func (w *watcher) update(outs []outcome, now time.Time) {
	for _, o := range outs {
		state := stateOf(o)
		r := w.rows[o.Serial]
		if r == nil {
			w.rows[o.Serial] = &watchRow{o: o, state: state, since: now, change: true}
			w.noteChange(now, o.Serial, "", state, o)
			continue
		}
		r.o, r.change = o, state != r.state
		if r.change {
			w.noteChange(now, o.Serial, r.state, state, o)
			r.prev, r.state, r.since = r.state, state, now
		}
	}
}

// changeLine is one change as a line of text.
func changeLine(now time.Time, serial, prev, state string, o outcome) string {
	s := now.Format(stampFormat) + "  " + serial + "  "
	if prev != "" {
		s += prev + " -> "
	}
	s += state
	if o.Error != nil {
		s += "  " + o.detail()
	}
	return s
}

func (w *watcher) noteChange(now time.Time, serial, prev, state string, o outcome) {
	w.changes = append(w.changes, changeLine(now, serial, prev, state, o))
	if len(w.changes) > keepChanges {
		w.changes = w.changes[len(w.changes)-keepChanges:]
	}
}

// print shows the latest round: a redrawn table on a terminal, else the
// changes as lines of text or JSON.
func (w *watcher) print() error {
	if w.tty {
		return w.redraw(time.Now())
	}
	for _, s := range w.serials {
		r := w.rows[s]
		if !r.change {
			continue
		}
		r.change = false // a serial given twice is printed once
		var err error
		if w.g.output == "json" {
			err = writeJSONLine(w.g, watchEvent{Time: r.since, State: r.state, Previous: r.prev, outcome: r.o})
		} else {
			_, err = fmt.Fprintln(w.g.stdout, changeLine(r.since, s, r.prev, r.state, r.o))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// redraw draws the whole display from the top of the screen.
func (w *watcher) redraw(now time.Time) error {
	var b strings.Builder
	b.WriteString(clearScreen)
	fmt.Fprintf(&b, "jigctl watch: round %d at %s, every %v (Ctrl-C to stop)\n\n",
		w.round, now.Format("15:04:05"), w.interval)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tSTATE\tSINCE\tBEFORE\tELAPSED\tDETAIL")
	for _, s := range w.serials {
		r := w.rows[s]
		prev, detail := r.prev, ""
		if prev == "" {
			prev = "-"
		}
		if r.o.Error != nil {
			detail = r.o.detail()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1fms\t%s\n", s, r.state, r.since.Format("15:04:05"), prev,
			r.o.ElapsedMS, detail)
	}
	tw.Flush()
	b.WriteString("\nChanges:\n")
	for _, c := range w.changes {
		b.WriteString("  " + c + "\n")
	}
	_, err := fmt.Fprint(w.g.stdout, b.String())
	return err
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(g *globals, v any) error { return json.NewEncoder(g.stdout).Encode(v) }
