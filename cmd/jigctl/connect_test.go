package main

import (
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestSilentBrokerTimesOut: a listener that accepts and never speaks AMQP
// is reported as having sent nothing in the time left, not as speaking
// another protocol, with --timeout 1ms as with a longer one.
func TestSilentBrokerTimesOut(t *testing.T) {
	addr, _ := testutil.SilentListener(t)
	for _, timeout := range []string{"1ms", "300ms"} {
		_, errOut := wantCode(t, exitUnreachable, "ping", "--url", "amqp://guest:guest@"+addr+"/",
			"--timeout", timeout, "JIG-1")
		if !strings.Contains(errOut, "the broker sent nothing within the time left") || strings.Contains(errOut, "not AMQP") {
			t.Fatalf("--timeout %s: stderr %q", timeout, errOut)
		}
	}
}

// TestInterruptWhileConnecting: Ctrl-C (the context cancelled) while
// jigctl is still connecting ends it at once, not at --timeout.
func TestInterruptWhileConnecting(t *testing.T) {
	addr, accepted := testutil.SilentListener(t)
	code, errOut := interrupted(t, []string{"ping", "--url", "amqp://guest:guest@" + addr + "/", "--timeout", "30s", "JIG-1"},
		func() {
			select {
			case <-accepted:
			case <-time.After(10 * time.Second):
				t.Fatal("jigctl never connected")
			}
		})
	if code != exitInterrupted || !strings.Contains(errOut, "connecting abandoned: context canceled") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestInterruptWhileWaiting: Ctrl-C while a request waits for its reply
// ends jigctl at once with 130 (interrupted), not at --timeout, and not
// as a timeout or a failure.
func TestInterruptWhileWaiting(t *testing.T) {
	ch := testutil.RawChannel(t, testURL())
	serial := uniqueSerial()
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err == nil {
		err = ch.QueueBind(q.Name, serial+".Req.*", mqmanager.Exchange, false, nil)
	}
	requests, err2 := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err = errors.Join(err, err2); err != nil {
		t.Fatal(err)
	}
	code, errOut := interrupted(t, []string{"status", "--url", testURL(), "--timeout", "30s", serial}, func() {
		select {
		case <-requests: // the request is out: jigctl waits for its reply
		case <-time.After(10 * time.Second):
			t.Fatal("the request never arrived")
		}
	})
	if code != exitInterrupted || !strings.Contains(errOut, "canceled") {
		t.Fatalf("exit %d, stderr %q; want 130, canceled", code, errOut)
	}
}

// TestUnreachableJSONListWatch: list and watch with -o json also give
// stdout JSON when the broker cannot be reached: list the expected
// fixtures with that outcome (an empty array without --expected), watch a
// line per fixture, as it shows a later loss; exit 5 either way.
func TestUnreachableJSONListWatch(t *testing.T) {
	url := "amqp://guest:guest@127.0.0.1:1/"
	floor := filepath.Join(t.TempDir(), "floor.txt")
	if err := os.WriteFile(floor, []byte("JIG-1\nJIG-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := wantCode(t, exitUnreachable, "list", "-o", "json", "--url", url, "--expected", floor)
	var entries []listEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || len(entries) != 2 {
		t.Fatalf("list: stdout %q (%v), want the 2 expected fixtures", out, err)
	}
	for _, e := range entries {
		if e.Outcome != "broker_unreachable" || e.Error == nil || !strings.Contains(e.Error.Message, "connection refused") {
			t.Fatalf("list: entry %+v", e)
		}
	}
	if out, _ := wantCode(t, exitUnreachable, "list", "-o", "json", "--url", url); strings.TrimSpace(out) != "[]" {
		t.Fatalf("list without --expected: stdout %q, want []", out)
	}
	out, errOut := wantCode(t, exitUnreachable, "watch", "-o", "json", "--url", url, "JIG-1", "JIG-2")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || errOut != "" {
		t.Fatalf("watch: stdout %q, stderr %q; want a line per fixture and nothing on stderr", out, errOut)
	}
	for i, l := range lines {
		var ev struct {
			Serial, Outcome, State string
		}
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.Serial != []string{"JIG-1", "JIG-2"}[i] ||
			ev.Outcome != "broker_unreachable" || ev.State != "broker_unreachable" {
			t.Fatalf("watch: line %q (%v)", l, err)
		}
	}
}

// TestTimeoutText: a timeout is printed once, with what timed out.
func TestTimeoutText(t *testing.T) {
	silent := silentQueue(t)
	_, errOut := wantCode(t, exitTimeout, "status", "--timeout", "300ms", silent)
	if want := silent + "\ttimeout: no reply from " + silent + " to JigStatus by the deadline\n"; errOut != want {
		t.Fatalf("stderr %q, want %q", errOut, want)
	}
}

// TestUnreachableJSON: with -o json an unreachable broker is still an
// outcome per serial in the array on stdout, as the README promises of
// every outcome, with its exit code; nothing on stderr.
func TestUnreachableJSON(t *testing.T) {
	url := "amqp://guest:guest@127.0.0.1:1/"
	for _, tc := range []struct {
		args    []string
		serials []string
	}{
		{[]string{"status", "-o", "json", "--url", url, "JIG-1", "JIG-2"}, []string{"JIG-1", "JIG-2"}},
		{[]string{"query", "-o", "json", "--url", url, "JIG-1", "OUTP?"}, []string{"JIG-1"}},
	} {
		out, errOut := wantCode(t, exitUnreachable, tc.args...)
		var outs []outcome
		if err := json.Unmarshal([]byte(out), &outs); err != nil {
			t.Fatalf("%v: stdout is not a JSON array: %v\n%s", tc.args, err, out)
		}
		if len(outs) != len(tc.serials) {
			t.Fatalf("%v: %d outcomes, want %d:\n%s", tc.args, len(outs), len(tc.serials), out)
		}
		for i, o := range outs {
			if o.Serial != tc.serials[i] || o.Outcome != "broker_unreachable" || o.Error == nil ||
				!strings.Contains(o.Error.Message, "connection refused") {
				t.Fatalf("%v: outcome %+v", tc.args, o)
			}
		}
		if errOut != "" {
			t.Fatalf("%v: stderr %q", tc.args, errOut)
		}
	}
}

// TestWrongPasswordSaidWhole: a wrong password, even one whose text is in
// the message ("e", "a"), leaves jigctl's message whole: only the URL's
// password is masked, not every "e" in the sentence.
func TestWrongPasswordSaidWhole(t *testing.T) {
	for _, pw := range []string{"a", "e", "wrong", "broker"} {
		u, err := url.Parse(testURL())
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), pw)
		_, errOut := wantCode(t, exitUnreachable, "ping", "--url", u.String(), "--timeout", "500ms", "JIG-1")
		want := "jigctl: broker unreachable: " + mqmanager.Redact(u.String()) + ": the login was not accepted within the time left ("
		if !strings.HasPrefix(errOut, want) || strings.Count(errOut, "xxxxx") != 1 ||
			!strings.Contains(errOut, "a wrong user or password (RabbitMQ refuses those only after 3 s), or a broker too busy to answer") {
			t.Errorf("password %q: stderr %q", pw, errOut)
		}
	}
}
