package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/manager"
)

// TestStatsCounts sends a known set of requests to a fresh manager and
// finds them counted.
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
		Serial  string              `json:"serial"`
		Outcome string              `json:"outcome"`
		Result  manager.StatsResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 || outs[0].Outcome != "ok" {
		t.Fatalf("stats -o json: %v\n%s", err, out)
	}
	st := outs[0].Result
	m := st.Server.Methods
	if m["JigStatus"].Requests != 2 || m["JigStatus"].Errors != 0 || m["Fib"].Requests != 3 ||
		m["Fib"].Errors != 1 || m["Ping"].Requests != 1 || !strings.Contains(m["Fib"].LastError, "bad_request") {
		t.Errorf("method counters: %+v", m)
	}
	if st.Fixture.Reads != 2 || st.Fixture.LastReadAt.IsZero() || !st.Fixture.Connected {
		t.Errorf("fixture counters: %+v", st.Fixture)
	}
	text, _ := wantCode(t, exitOK, "stats", f.serial)
	for _, want := range []string{"METHOD", "JigStatus", "Fib", "bad_request", "fixture: connected=true reads=2",
		"coalesced_reads=0", "serial_reconnects=0", "broker_reconnects=0", "dropped=0", "expired=0", "in_flight="} {
		if !strings.Contains(text, want) {
			t.Errorf("stats text lacks %q:\n%s", want, text)
		}
	}
}
