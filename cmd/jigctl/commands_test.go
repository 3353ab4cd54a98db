package main

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

func TestFibPingStatusOK(t *testing.T) {
	f := startFixture(t)
	if out, _ := wantCode(t, exitOK, "fib", f.serial, "90"); strings.TrimSpace(out) != "2880067194370816120" {
		t.Errorf("fib 90 printed %q", out)
	}
	if out, _ := wantCode(t, exitOK, "ping", f.serial); !strings.Contains(out, f.serial+"\tok\tversion=test") {
		t.Errorf("ping printed %q", out)
	}
	if out, _ := wantCode(t, exitOK, "status", f.serial); !strings.Contains(out, f.serial+"\tREADY\t") {
		t.Errorf("status printed %q", out)
	}
	out, _ := wantCode(t, exitOK, "status", "-o", "json", f.serial)
	var outs []struct {
		Serial  string `json:"serial"`
		Outcome string `json:"outcome"`
		Result  struct {
			State string `json:"state"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 ||
		outs[0].Serial != f.serial || outs[0].Outcome != "ok" || outs[0].Result.State != "READY" {
		t.Errorf("status -o json: %v\n%s", err, out)
	}
}

// TestExitCodes checks each outcome's exit code and that its story is on
// stderr, not stdout.
func TestExitCodes(t *testing.T) {
	f := startFixture(t)
	silent := silentQueue(t)
	cases := []struct {
		name string
		code int
		args []string
		want string // on stderr
	}{
		{"error reply", exitFailed, []string{"fib", f.serial, "1000000000"}, "bad_request"},
		{"negative N", exitFailed, []string{"fib", f.serial, "-5"}, "bad_request"},
		{"negative N, flags after", exitFailed, []string{"fib", f.serial, "-5", "-o", "json"}, ""},
		{"no fixture", exitNoFixture, []string{"status", uniqueSerial()}, "no_fixture"},
		{"timeout", exitTimeout, []string{"status", "--timeout", "300ms", silent}, "timeout"},
		{"unreachable", exitUnreachable, []string{"ping", "--url", "amqp://guest:guest@127.0.0.1:1/", f.serial}, "unreachable"},
		{"unknown command", exitUsage, []string{"frobnicate"}, "unknown command"},
		{"bad serial", exitUsage, []string{"status", "a.b"}, "invalid fixture serial"},
		{"fib bad serial, no broker", exitUsage, []string{"fib", "--url", "amqp://guest:guest@127.0.0.1:1/", "a.b", "5"},
			"invalid fixture serial"},
		{"bad output", exitUsage, []string{"ping", "-o", "xml", f.serial}, "want text or json"},
		{"fib arity", exitUsage, []string{"fib", f.serial}, "fib takes 2 arguments"},
		{"fib trailing unknown flag", exitUsage, []string{"fib", f.serial, "5", "--nope"}, "unknown flag"},
		{"stats without serial", exitUsage, []string{"stats"}, "requires at least 1 arg"},
		{"list with args", exitUsage, []string{"list", "x"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut := wantCode(t, c.code, c.args...)
			if !strings.Contains(errOut, c.want) {
				t.Errorf("stderr %q does not mention %q", errOut, c.want)
			}
			if c.code != exitOK && c.code != exitUsage && !strings.Contains(strings.Join(c.args, " "), "json") && out != "" {
				t.Errorf("stdout %q, want nothing on a failure", out)
			}
		})
	}
}

// TestFibNegativeJSON: a negative N after the serial reaches the manager,
// and flags after it still count.
func TestFibNegativeJSON(t *testing.T) {
	f := startFixture(t)
	out, _ := wantCode(t, exitFailed, "fib", f.serial, "-5", "-o", "json")
	var outs []outcome
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 ||
		outs[0].Outcome != "error_reply" || outs[0].Error == nil || outs[0].Error.Code != "bad_request" {
		t.Errorf("fib -5 -o json: %v\n%s", err, out)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range []string{"fib", "ping", "status", "list", "stats", "watch"} {
		out, _ := wantCode(t, exitOK, cmd, "--help")
		if !strings.Contains(out, "Examples:") || !strings.Contains(out, "jigctl "+cmd) {
			t.Errorf("%s --help has no examples:\n%s", cmd, out)
		}
	}
	if out, _ := wantCode(t, exitOK, "fib", "JIG-0001", "-5", "-o", "json", "--help"); !strings.Contains(out, "Examples:") {
		t.Errorf("fib SERIAL N --help printed no help:\n%s", out)
	}
	out, _ := wantCode(t, exitOK, "--help")
	for _, want := range []string{"completion", "Exit status:", "list", "stats", "watch"} {
		if !strings.Contains(out, want) {
			t.Errorf("jigctl --help does not mention %q:\n%s", want, out)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, _ := wantCode(t, exitOK, "completion", shell)
		if !strings.Contains(out, "jigctl") {
			t.Errorf("completion %s printed no script", shell)
		}
	}
	f := startFixture(t)
	out, _ := wantCode(t, exitOK, "__complete", "status", f.serial[:8])
	if !strings.Contains(out, f.serial) {
		t.Errorf("serial completion does not offer %s:\n%s", f.serial, out)
	}
}

// TestStatsCounts sends a known set of requests to a fresh manager and
// finds them counted. Fib is counted exactly; JigStatus and Ping at least:
// the manager is on the shared test broker, where another test's broadcast
// ("_all.Req.Ping", as jigctl list sends) reaches it too (seen: 2 Pings).
func TestStatsCounts(t *testing.T) {
	f := startFixture(t)
	wantCode(t, exitOK, "status", f.serial)
	wantCode(t, exitOK, "status", f.serial)
	wantCode(t, exitOK, "fib", f.serial, "10")
	wantCode(t, exitOK, "fib", f.serial, "20")
	wantCode(t, exitFailed, "fib", f.serial, "-1")
	wantCode(t, exitOK, "ping", f.serial)
	out, _ := wantCode(t, exitOK, "stats", "-o", "json", f.serial)
	var outs []struct {
		Serial  string             `json:"serial"`
		Outcome string             `json:"outcome"`
		Result  jigapi.StatsResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 || outs[0].Outcome != "ok" {
		t.Fatalf("stats -o json: %v\n%s", err, out)
	}
	st := outs[0].Result
	m := st.Server.Methods
	if m["JigStatus"].Requests < 2 || m["JigStatus"].Errors != 0 || m["Fib"].Requests != 3 ||
		m["Fib"].Errors != 1 || m["Ping"].Requests < 1 || !strings.Contains(m["Fib"].LastError, "bad_request") {
		t.Errorf("method counters: %+v", m)
	}
	if st.Fixture.Reads < 2 || st.Fixture.LastReadAt.IsZero() || !st.Fixture.Connected {
		t.Errorf("fixture counters: %+v", st.Fixture)
	}
	text, _ := wantCode(t, exitOK, "stats", f.serial)
	for _, want := range []string{"METHOD", "JigStatus", "Fib", "bad_request", "fixture: connected=true reads=",
		"coalesced_reads=0", "serial_reconnects=0", "broker_reconnects=0", "dropped=0", "expired=0", "rejected=0", "in_flight="} {
		if !strings.Contains(text, want) {
			t.Errorf("stats text lacks %q:\n%s", want, text)
		}
	}
}

// TestBinary builds jigctl and runs it as a process: its output streams
// and exit status are the real ones.
func TestBinary(t *testing.T) {
	bin := buildJigctl(t)
	f := startFixture(t)
	cmd := exec.Command(bin, "status", f.serial)
	cmd.Env = append(cmd.Environ(), "JIGCTL_URL="+testURL())
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), f.serial+"\tREADY") {
		t.Errorf("jigctl status: %v\n%s", err, out)
	}

	cmd = exec.Command(bin, "ping", uniqueSerial())
	cmd.Env = append(cmd.Environ(), "JIGCTL_URL="+testURL())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNoFixture || len(out) != 0 ||
		!strings.Contains(stderr.String(), "no fixture") {
		t.Errorf("jigctl ping (absent): %v, stdout %q, stderr %q", err, out, stderr.String())
	}
}
