package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWithLock: the child gets the token and serial, the lease is held
// while it runs and released when it exits or is killed, and with-lock
// exits with the child's status. (An interrupt: withlock_signal_test.go,
// with jigctl a process of its own, away from the terminal the tests may
// run in.)
func TestWithLock(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), allowOutputs)
	for _, tc := range []struct {
		name, script string
		code         int
	}{
		{"exits", `echo "$JIG_SERIAL $JIG_LOCK_TOKEN"; exit 3`, 3},
		{"killed", `kill -9 $$`, 137},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut := wantCode(t, tc.code, "with-lock", f.serial, "--owner", "ci", "--ttl", "1m", "--", "sh", "-c", tc.script)
			if tc.name == "exits" {
				fields := strings.Fields(out)
				if len(fields) != 2 || fields[0] != f.serial || len(fields[1]) != 32 {
					t.Fatalf("child's environment: %q", out)
				}
			}
			if strings.Contains(errOut, "unlock") {
				t.Fatalf("release failed: %s", errOut)
			}
			if h := holder(t, f); h != nil {
				t.Fatalf("lease still held after the child ended: %+v", h)
			}
		})
	}
}

func TestWithLockNeverGotLease(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), nil)
	wantCode(t, 0, "lock", f.serial, "--owner", "station-a")
	_, errOut := wantCode(t, exitNoLease, "with-lock", f.serial, "--", "sh", "-c", "echo ran")
	if !strings.Contains(errOut, `locked: held by "station-a"`) || !strings.Contains(errOut, "never got the lease") {
		t.Fatalf("stderr: %s", errOut)
	}
}

// TestWithLockNeverGotLeaseJSON: with -o json the lease never got is the
// lock's outcome on stdout (the command never ran), exit 125.
func TestWithLockNeverGotLeaseJSON(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), nil)
	wantCode(t, 0, "lock", f.serial, "--owner", "station-a")
	out, errOut := wantCode(t, exitNoLease, "with-lock", f.serial, "-o", "json", "--", "sh", "-c", "echo ran")
	var outs []outcome
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 || outs[0].Outcome != "error_reply" ||
		outs[0].Error == nil || outs[0].Error.Code != "locked" || errOut != "" {
		t.Fatalf("stdout %q (%v), stderr %q", out, err, errOut)
	}
}

// TestWithLockNoBroker: a broker that cannot be reached is a lease never
// got like any other: 125 (not the broker's 5, which the command's own
// status could be), the lock's outcome on stdout with -o json.
func TestWithLockNoBroker(t *testing.T) {
	out, _ := wantCode(t, exitNoLease, "with-lock", uniqueSerial(), "-o", "json", "--url",
		"amqp://guest:guest@127.0.0.1:1/", "--", "sh", "-c", "echo ran")
	var outs []outcome
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 || outs[0].Outcome != "broker_unreachable" ||
		outs[0].Method != "Lock" {
		t.Fatalf("stdout %q (%v)", out, err)
	}
	_, errOut := wantCode(t, exitNoLease, "with-lock", uniqueSerial(), "--url", "amqp://guest:guest@127.0.0.1:1/", "--", "true")
	if !strings.Contains(errOut, "never got the lease") {
		t.Fatalf("stderr %q", errOut)
	}
}

func TestWithLockCommandNotFound(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), nil)
	wantCode(t, 127, "with-lock", f.serial, "--", "/nonexistent/cmd")
	if h := holder(t, f); h != nil {
		t.Fatalf("lease held after a command that could not run: %+v", h)
	}
}
