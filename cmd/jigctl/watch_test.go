package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
)

// startWatch runs jigctl watch in the background until the test ends or
// cancel is called; done gets its result, then is closed.
func startWatch(t *testing.T, out io.Writer, args ...string) (cancel func(), done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	var stderr syncBuffer
	go func() {
		ch <- run(ctx, append([]string{"--url", testURL(), "watch"}, args...), out, &stderr)
		close(ch) // so that the cleanup does not wait for a result taken already
	}()
	t.Cleanup(func() {
		cancel()
		<-ch
		if t.Failed() {
			t.Logf("watch stderr: %s", stderr.String())
		}
	})
	return cancel, ch
}

// TestWatchUnplugReplug follows a board through unplug and replug: READY,
// then serial_unavailable, then READY again, one line per change; then
// Ctrl-C (the context's cancellation) stops it with exit 0.
func TestWatchUnplugReplug(t *testing.T) {
	f := startFixture(t)
	var out syncBuffer
	cancel, done := startWatch(t, &out, "--interval", "20ms", "--timeout", "2s", f.serial)
	waitOutput(t, &out, f.serial+"  READY\n", done)
	f.unplug(t)
	waitOutput(t, &out, "-> serial_unavailable", done)
	f.plug(t)
	waitOutput(t, &out, "serial_unavailable -> READY", done)
	cancel()
	if code := cli.Finish("jigctl", <-done, &out); code != exitOK {
		t.Errorf("watch stopped with exit %d", code)
	}
	t.Logf("watch printed:\n%s", out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[0], "  READY") || !strings.Contains(lines[1], "  READY -> serial_") ||
		!strings.HasSuffix(lines[len(lines)-1], "serial_unavailable -> READY") {
		t.Errorf("want READY, then the serial failing, then READY:\n%s", out.String())
	}
	for _, l := range lines {
		if _, err := time.Parse(stampFormat, strings.Fields(l)[0]); err != nil {
			t.Errorf("line without timestamp: %q", l)
		}
	}
}

// TestWatchCount: --count N stops after N rounds, exit 0; with -o json a
// line per change (here only the first round's).
func TestWatchCount(t *testing.T) {
	f := startFixture(t)
	out, _ := wantCode(t, exitOK, "watch", "--count", "3", "--interval", "10ms", "-o", "json", f.serial)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var ev struct {
		Time     time.Time `json:"time"`
		Serial   string    `json:"serial"`
		Outcome  string    `json:"outcome"`
		State    string    `json:"state"`
		Previous string    `json:"previous"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &ev) != nil ||
		ev.Serial != f.serial || ev.Outcome != "ok" || ev.State != "READY" || ev.Time.IsZero() {
		t.Errorf("watch -o json printed:\n%s", out)
	}
}

// tty is an output that says it is a terminal.
type tty struct{ syncBuffer }

func (*tty) IsTerminal() bool { return true }

// TestWatchTerminal: on a terminal every round redraws the table (and so
// may an event between), and a fixture without a manager shows as
// no_fixture.
func TestWatchTerminal(t *testing.T) {
	f := startFixture(t)
	gone := uniqueSerial()
	var out tty
	var stderr syncBuffer
	err := run(context.Background(), []string{"--url", testURL(), "watch", "--count", "2", "--interval", "10ms",
		f.serial, gone}, &out, &stderr)
	if err != nil {
		t.Fatalf("watch: %v (%s)", err, stderr.String())
	}
	s := out.String()
	if !strings.Contains(s, "round 1 at") || strings.Count(s, "round 2 at") != 1 {
		t.Errorf("want rounds 1 and 2 drawn (and events' redraws between):\n%q", s)
	}
	last := s[strings.LastIndex(s, clearScreen):]
	for _, want := range []string{"round 2", "SERIAL", f.serial, "READY", gone, "no_fixture"} {
		if !strings.Contains(last, want) {
			t.Errorf("display lacks %q:\n%s", want, last)
		}
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&syncBuffer{}) || !isTerminal(&tty{}) {
		t.Error("isTerminal misjudges the test writers")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}
