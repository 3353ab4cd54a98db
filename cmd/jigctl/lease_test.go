package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

func allowOutputs(c *manager.Config) {
	c.Fixture.Commands.Allow = []string{"*IDN?", "STAT?", "MEAS:*?", "OUTP *", "OUTP?"}
}

func TestQueryCommand(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), allowOutputs)
	if out, _ := wantCode(t, 0, "query", f.serial, "MEAS:TEMP?"); out != "23.5\n" {
		t.Fatalf("query: %q", out)
	}
	out, _ := wantCode(t, 0, "query", "-o", "json", f.serial, "OUTP?")
	var outs []struct {
		Outcome string
		Result  jigapi.QueryResult
	}
	if err := json.Unmarshal([]byte(out), &outs); err != nil || len(outs) != 1 || outs[0].Result.Answer != "OFF" {
		t.Fatalf("json: %s %v", out, err)
	}
	_, errOut := wantCode(t, exitFailed, "query", f.serial, "SYST:ERR?")
	if !strings.Contains(errOut, `error_reply: forbidden: command "SYST:ERR?" is not allowed by fixture.commands.allow`) {
		t.Fatalf("forbidden: %s", errOut)
	}
	_, errOut = wantCode(t, exitNotLocked, "query", f.serial, "OUTP ON")
	if !strings.Contains(errOut, "error_reply: not_locked:") {
		t.Fatalf("not_locked: %s", errOut)
	}
	wantCode(t, exitFailed, "query", f.serial, "OUTP?;OUTP ON")
}

func TestLockRenewUnlockCommands(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), allowOutputs)
	out, _ := wantCode(t, 0, "lock", f.serial, "--owner", "station-a", "--ttl", "10m")
	token := strings.TrimSpace(out)
	if len(token) != 32 {
		t.Fatalf("token %q", out)
	}
	_, errOut := wantCode(t, exitLocked, "lock", f.serial, "--owner", "station-b")
	if !strings.Contains(errOut, `error_reply: locked: held by "station-a" until`) {
		t.Fatalf("locked: %s", errOut)
	}
	wantCode(t, exitLocked, "query", f.serial, "OUTP ON", "--token", "stale")
	wantCode(t, 0, "query", f.serial, "OUTP ON", "--token", token)
	if !f.board.Output() {
		t.Fatal("the write with the token did not reach the board")
	}
	if out, _ = wantCode(t, 0, "renew", f.serial, "--token", token); !strings.Contains(out, "station-a\tuntil ") {
		t.Fatalf("renew: %q", out)
	}
	wantCode(t, exitUsage, "unlock", f.serial)
	if out, _ = wantCode(t, 0, "unlock", f.serial, "--token", token); !strings.Contains(out, "released\tstation-a") {
		t.Fatalf("unlock: %q", out)
	}
	wantCode(t, exitNotLocked, "unlock", f.serial, "--token", token)
	wantCode(t, 0, "lock", f.serial, "--owner", "station-b", "--ttl", "1m")
	wantCode(t, 0, "unlock", f.serial, "--force")
	wantCode(t, exitNotLocked, "unlock", f.serial, "--force")
}

func TestLockWait(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), nil)
	out, _ := wantCode(t, 0, "lock", f.serial, "--owner", "station-a")
	done := make(chan int, 1)
	go func() {
		_, _, code := jigctl(t, "lock", f.serial, "--owner", "station-b", "--wait", "20s")
		done <- code
	}()
	wantCode(t, 0, "unlock", f.serial, "--token", strings.TrimSpace(out))
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("lock --wait: exit %d", code)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("lock --wait did not end")
	}
	if h := holder(t, f); h == nil || h.Owner != "station-b" {
		t.Fatalf("holder %+v", h)
	}
}

// TestLockWaitInterrupted: Ctrl-C while lock --wait (or with-lock --wait)
// waits between its asks ends it with 130 (interrupted), not with the last
// ask's "locked" (6, or with-lock's 125).
func TestLockWaitInterrupted(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), nil)
	wantCode(t, 0, "lock", f.serial, "--owner", "station-a")
	for i, args := range [][]string{
		{"lock", f.serial, "--owner", "station-b", "--wait", "30s"},
		{"with-lock", f.serial, "--owner", "station-b", "--wait", "30s", "--", "true"},
	} {
		code, errOut := interrupted(t, append([]string{"--url", testURL()}, args...), func() {
			lockErrors(t, f, uint64(i+1)) // its first ask was answered "locked": it waits for the next
		})
		if code != exitInterrupted || !strings.Contains(errOut, "canceled") {
			t.Fatalf("%s: exit %d, stderr %q; want 130, canceled", args[0], code, errOut)
		}
	}
}

// lockErrors waits until f's manager has answered at least n Lock requests
// with an error (its counters, by Stats).
func lockErrors(t *testing.T, f *fixture, n uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := dialTest(t, ctx)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Stats(ctx, f.serial)
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		if st.Server.Methods[jigapi.Lock.Name()].Errors >= n {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the manager never refused %d locks", n)
		}
	}
}

// dialTest is a Client of the test broker, closed when the test ends.
func dialTest(t *testing.T, ctx context.Context) *mqmanager.Client {
	t.Helper()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{testURL()}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// holder is who holds f's lease, by Ping.
func holder(t *testing.T, f *fixture) *jigapi.Holder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := dialTest(t, ctx)
	p, err := c.Ping(ctx, f.serial)
	if err != nil {
		t.Fatal(err)
	}
	return p.Lease
}

// TestHolderShown: status, ping and list show who holds a fixture's lease
// and until when, and nothing once it is released.
func TestHolderShown(t *testing.T) {
	f := startFixture(t)
	out, _ := wantCode(t, 0, "lock", f.serial, "--owner", "station-h", "--ttl", "10m")
	token := strings.TrimSpace(out)
	for _, cmd := range []string{"status", "ping"} {
		if out, _ := wantCode(t, 0, cmd, f.serial); !strings.Contains(out, `held_by="station-h" until=`) {
			t.Errorf("%s while held: %q", cmd, out)
		}
	}
	if out, _ := wantCode(t, 0, "list", "--timeout", "1s"); !regexp.MustCompile(`station-h \((10m0s|9m[0-9]+s) left\)`).MatchString(out) {
		t.Errorf("list while held:\n%s", out)
	}
	wantCode(t, 0, "unlock", f.serial, "--token", token)
	if out, _ := wantCode(t, 0, "status", f.serial); strings.Contains(out, "held_by") {
		t.Errorf("status once released: %q", out)
	}
}

// TestLockDefaultOwner: without --owner the lease is taken as user@host
// (looked up when the lease is taken, not when the flags are built).
func TestLockDefaultOwner(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), allowOutputs)
	wantCode(t, 0, "lock", f.serial, "--ttl", "1m")
	_, errOut := wantCode(t, exitLocked, "lock", f.serial, "--owner", "station-b")
	if want := `error_reply: locked: held by "` + defaultOwner() + `" until`; !strings.Contains(errOut, want) {
		t.Fatalf("locked: %s, want %s", errOut, want)
	}
	wantCode(t, 0, "unlock", f.serial, "--force")
}

// TestLockOwnerUsage: an --owner the manager would refuse is a usage error
// (2), found before dialling: the serial has no manager, which would be 4.
func TestLockOwnerUsage(t *testing.T) {
	serial := uniqueSerial()
	for _, args := range [][]string{
		{"lock", serial, "--owner", ""},
		{"lock", serial, "--owner", "tab\there"},
		{"with-lock", serial, "--owner", "", "--", "true"},
	} {
		if _, errOut := wantCode(t, exitUsage, args...); !strings.Contains(errOut, "--owner: must be 1 to 128 printable ASCII") {
			t.Errorf("%q: stderr %q", args, errOut)
		}
	}
}

// TestLockTTLWholeSeconds: a lease's ttl_s is in seconds, so a --ttl
// that is not whole seconds is a usage error, never rounded silently
// (1900ms was a 2 s lease, 1500ms too).
func TestLockTTLWholeSeconds(t *testing.T) {
	for _, ttl := range []string{"1500ms", "1900ms", "500ms"} {
		if _, errOut := wantCode(t, exitUsage, "lock", "JIG-0001", "--ttl", ttl); !strings.Contains(errOut, "whole seconds") {
			t.Errorf("--ttl %s: stderr %q, want it to say whole seconds", ttl, errOut)
		}
	}
}
