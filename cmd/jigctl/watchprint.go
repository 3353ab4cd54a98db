package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// ANSI: cursor home, then clear the screen.
const clearScreen = "\x1b[H\x1b[2J"

// keepChanges is how many recent changes the terminal display shows.
const keepChanges = 8

const stampFormat = "2006-01-02T15:04:05.000Z07:00"

// update records a poll's outcomes, but not those of fixtures with an
// event newer than the poll. Each is stamped when it came (answered), not
// when the poll's slowest request ended: a fixture's READY answered in
// 10 ms, printed with a silent one's serial_timeout 5 s later, is the
// board as of then.
func (w *watcher) update(p pollResult, now time.Time) {
	for _, o := range p.outs {
		r := w.rows[o.Serial]
		if r.push.on && !p.start.After(r.push.last) {
			continue
		}
		holder := r.holder
		if st, ok := o.value.(jigapi.Status); ok {
			holder = ""
			if st.Lease != nil {
				holder = st.Lease.Owner
			}
		}
		w.set(o.Serial, o, stateOf(o), holder, "poll", answered(p.start, o, now))
	}
}

// answered is when o came: its poll's start and its round trip, at most
// now.
func answered(start time.Time, o outcome, now time.Time) time.Time {
	at := start.Add(time.Duration(o.ElapsedMS * float64(time.Millisecond)))
	if at.After(now) {
		return now
	}
	return at
}

// set records a fixture's latest outcome, and notes a change of its state
// or holder.
func (w *watcher) set(serial string, o outcome, state, holder, via string, now time.Time) {
	r := w.rows[serial]
	r.o, r.via = o, via
	moved, held := state != r.state, holder != r.holder
	if !moved && !held {
		return
	}
	if moved {
		r.prev, r.state, r.since = r.state, state, now
	}
	r.holder, r.moved, r.held, r.at, r.change, w.dirty = holder, moved, held, now, true, true
	w.changes = append(w.changes, changeLine(serial, r))
	if len(w.changes) > keepChanges {
		w.changes = w.changes[len(w.changes)-keepChanges:]
	}
}

// changeLine is a fixture's latest change as a line of text.
func changeLine(serial string, r *watchRow) string {
	s := r.at.Format(stampFormat) + "  " + serial + "  "
	if r.moved && r.prev != "" {
		s += r.prev + " -> "
	}
	s += r.state
	switch {
	case r.held && r.holder != "":
		s += "  held by " + r.holder
	case r.held:
		s += "  not held"
	}
	if r.o.Error != nil {
		s += "  " + r.o.detail()
	}
	return s
}

// print shows what changed: a redrawn table on a terminal, else the
// changes as lines of text or JSON.
func (w *watcher) print() error {
	if w.tty {
		if !w.dirty {
			return nil
		}
		w.dirty = false
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
			prev := r.state // a change of holder only
			if r.moved {
				prev = r.prev
			}
			err = writeJSONLine(w.g, watchEvent{Time: r.at, State: r.state, Previous: prev, Holder: r.holder,
				Via: r.via, outcome: r.o})
		} else {
			_, err = fmt.Fprintln(w.g.stdout, changeLine(s, r))
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
	fmt.Fprintf(&b, "jigctl watch: round %d at %s, polling every %v; events from %d of %d (Ctrl-C to stop)\n\n",
		w.round, now.Format("15:04:05"), w.interval, len(w.serials)-len(w.polled()), len(w.serials))
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERIAL\tSTATE\tSINCE\tBEFORE\tHELD-BY\tVIA\tELAPSED\tDETAIL")
	for _, s := range w.serials {
		fmt.Fprintln(tw, w.rows[s].cells(s))
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

// cells is the fixture's row of the terminal display, tab-separated.
func (r *watchRow) cells(serial string) string {
	via, elapsed, detail := "poll", "-", ""
	if r.push.on {
		via = "events"
	}
	if r.via == "poll" {
		elapsed = fmt.Sprintf("%.1fms", r.o.ElapsedMS)
	}
	if r.o.Error != nil {
		detail = r.o.detail()
	}
	since := "-"
	if !r.since.IsZero() {
		since = r.since.Format("15:04:05")
	}
	return strings.Join([]string{serial, cmp.Or(r.state, "-"), since, cmp.Or(r.prev, "-"), cmp.Or(r.holder, "-"),
		via, elapsed, detail}, "\t")
}
