package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/jigapi"
)

// watchLine is one line of watch -o json.
type watchLine struct {
	Serial   string        `json:"serial"`
	Method   string        `json:"method"`
	Outcome  string        `json:"outcome"`
	State    string        `json:"state"`
	Previous string        `json:"previous"`
	Holder   string        `json:"holder"`
	Via      string        `json:"via"`
	Error    *outcomeError `json:"error"`
}

// waitLine waits until watch -o json has printed a line that match
// accepts, and returns it.
func waitLine(t *testing.T, w *syncBuffer, done <-chan error, what string, match func(watchLine) bool) watchLine {
	t.Helper()
	var got watchLine
	waitFor(t, w, done, what, func(out string) bool {
		for _, s := range strings.Split(strings.TrimSpace(out), "\n") {
			if json.Unmarshal([]byte(s), &got) == nil && match(got) {
				return true
			}
			got = watchLine{}
		}
		return false
	})
	return got
}

// fastEvents makes a manager publish a heartbeat every 200ms.
func fastEvents(c *manager.Config) {
	c.Events.Heartbeat, c.Events.Poll = 200*time.Millisecond, 20*time.Millisecond
}

// TestWatchFollowsEvents: with a round every hour, after the first only
// events can change a row: a lease taken (Holder), the board unplugged
// (Disconnected), and plugged back (Connected, then a read at once).
func TestWatchFollowsEvents(t *testing.T) {
	f := startFixture(t)
	var out syncBuffer
	cancel, done := startWatch(t, &out, "--interval", "1h", "-o", "json", f.serial)
	waitLine(t, &out, done, "READY", func(l watchLine) bool { return l.State == "READY" })
	wantCode(t, exitOK, "lock", f.serial, "--owner", "station-9", "--ttl", "1m")
	l := waitLine(t, &out, done, "the holder", func(l watchLine) bool { return l.Holder == "station-9" })
	if l.Via != "event" || l.Method != "Evt.Holder" || l.State != "READY" || l.Previous != "READY" {
		t.Errorf("holder change %+v, want from a Holder event, the state unchanged", l)
	}
	f.unplug(t)
	l = waitLine(t, &out, done, "the unplug", func(l watchLine) bool { return l.State == "serial_unavailable" })
	if l.Via != "event" || l.Method != "Evt.Disconnected" || l.Previous != "READY" || l.Outcome != "error_reply" ||
		l.Error == nil || l.Error.Code != "serial_unavailable" || l.Holder != "station-9" {
		t.Errorf("unplug %+v, want from a Disconnected event", l)
	}
	f.plug(t)
	l = waitLine(t, &out, done, "the replug", func(l watchLine) bool {
		return l.State == "READY" && l.Previous == "serial_unavailable"
	})
	if l.Outcome != "ok" {
		t.Errorf("replug %+v", l)
	}
	cancel()
	if code := cli.Finish("jigctl", <-done, &out); code != exitOK {
		t.Errorf("watch stopped with exit %d", code)
	}
}

// TestWatchPollsEventsOff: a manager with events off is polled every
// --interval (its unplug shows from a poll), beside one followed by its
// events, as the terminal display says.
func TestWatchPollsEventsOff(t *testing.T) {
	off := startFixtureWith(t, uniqueSerial(), func(c *manager.Config) { c.Events.Off = true })
	on := startFixture(t)
	var out tty
	_, done := startWatch(t, &out, "--interval", "20ms", off.serial, on.serial)
	waitScreen(t, &out, done, "events from 1 of 2", off.serial+"  READY", on.serial+"  READY")
	off.unplug(t)
	waitOutput(t, &out.syncBuffer, off.serial+"  READY -> serial_unavailable  ", done)
	s := out.String()
	last := s[strings.LastIndex(s, clearScreen):]
	if !strings.Contains(last, "events from 1 of 2") {
		t.Errorf("display:\n%s", last)
	}
	for serial, via := range map[string]string{off.serial: "poll", on.serial: "events"} {
		if cells := rowOf(last, serial); len(cells) < 6 || cells[5] != via {
			t.Errorf("%s's row %q, want VIA %s", serial, cells, via)
		}
	}
	if strings.Contains(last, "event)") {
		t.Errorf("the events-off fixture's change is from an event:\n%s", last)
	}
}

// waitScreen waits until the terminal display's latest screen shows all
// of want.
func waitScreen(t *testing.T, out *tty, done <-chan error, want ...string) {
	t.Helper()
	waitFor(t, &out.syncBuffer, done, fmt.Sprintf("screen with %q", want), func(s string) bool {
		last := s[max(0, strings.LastIndex(s, clearScreen)):]
		return !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(last, w) })
	})
}

// rowOf is the cells of serial's row in a terminal display.
func rowOf(display, serial string) []string {
	for _, l := range strings.Split(display, "\n") {
		if strings.HasPrefix(l, serial+" ") {
			return strings.Fields(l)
		}
	}
	return nil
}

// TestWatchStopped: a manager stopped cleanly says so (its Stopped event),
// and watch shows it at once, not three heartbeats later; the fixture is
// polled from then on (no_fixture once nothing serves it), and followed
// again when a manager serves it again. (Staleness, for a manager that
// goes without a word, is TestWatchPollOlderThanEvent's.)
func TestWatchStopped(t *testing.T) {
	serial := uniqueSerial()
	f := startFixtureWith(t, serial, fastEvents)
	var out tty
	_, done := startWatch(t, &out, "--interval", "300ms", serial)
	waitScreen(t, &out, done, "events from 1 of 1", serial+"  READY")
	f.stop()
	waitOutput(t, &out.syncBuffer, serial+"  READY -> stopped  its manager stopped", done)
	waitOutput(t, &out.syncBuffer, " -> no_fixture", done)
	startFixtureWith(t, serial, fastEvents)
	waitOutput(t, &out.syncBuffer, serial+"  no_fixture -> READY", done)
	// A poll may find it READY before the new manager's first event: the
	// event, once it comes, makes it followed again.
	waitScreen(t, &out, done, "events from 1 of 1", serial+"  READY")
}

// TestWatchPollOlderThanEvent: a poll that started before a fixture's
// latest event does not undo what the event showed; a later one counts;
// three heartbeats without an event make it stale and polled.
func TestWatchPollOlderThanEvent(t *testing.T) {
	const s = "JIG-0001"
	w := newWatcher(&globals{output: "json", stdout: &syncBuffer{}}, []string{s}, time.Hour)
	t0 := time.Now()
	ev := jigapi.Event{Serial: s, Kind: jigapi.EvtState, Summary: jigapi.Summary{Connected: true, State: "BUSY", HeartbeatS: 1}}
	if read := w.onEvent(ev, t0); len(read) != 0 || w.rows[s].state != "BUSY" || len(w.polled()) != 0 {
		t.Fatalf("after the event: read %v, row %+v, polled %v", read, w.rows[s], w.polled())
	}
	ready := newOutcome(s, "JigStatus", jigapi.Status{State: "READY"}, nil, 1)
	w.update(pollResult{outs: []outcome{ready}, start: t0.Add(-time.Millisecond)}, t0)
	if w.rows[s].state != "BUSY" {
		t.Errorf("an older poll overwrote the event: %q", w.rows[s].state)
	}
	w.update(pollResult{outs: []outcome{ready}, start: t0.Add(time.Millisecond)}, t0)
	if w.rows[s].state != "READY" || w.rows[s].via != "poll" {
		t.Errorf("a newer poll was dropped: %+v", w.rows[s])
	}
	if st := w.sweep(t0.Add(2999 * time.Millisecond)); len(st) != 0 {
		t.Errorf("stale before three heartbeats: %v", st)
	}
	if st := w.sweep(t0.Add(3002 * time.Millisecond)); len(st) != 1 || w.rows[s].state != "stale" ||
		len(w.polled()) != 1 {
		t.Errorf("after three heartbeats: stale %v, row %+v", st, w.rows[s])
	}
}
