package lease

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLeaseSurvivesReopen(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "lease.json")
	l, err := newTable(t, c, path).Lock("station-1", 60)
	if err != nil {
		t.Fatal(err)
	}
	again := newTable(t, c, path)
	if h := again.Holder(); h == nil || h.Owner != "station-1" || !h.ExpiresAt.Equal(l.ExpiresAt) {
		t.Fatalf("holder after reopen: %+v", h)
	}
	if err := again.CheckWrite("OUTP ON", l.Token); err != nil {
		t.Fatalf("the token no longer writes after reopen: %v", err)
	}
	if _, err := again.Unlock(l.Token); err != nil {
		t.Fatal(err)
	}
	if h := newTable(t, c, path).Holder(); h != nil {
		t.Fatalf("released lease came back: %+v", h)
	}
}

func TestExpiredLeaseNotRestored(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "lease.json")
	newTable(t, c, path).Lock("station-1", 5)
	c.Advance(5 * time.Second)
	if h := newTable(t, c, path).Holder(); h != nil {
		t.Fatalf("expired lease restored: %+v", h)
	}
}

func TestUnreadableStateSetAside(t *testing.T) {
	for name, content := range map[string]string{
		"garbage": "\x00not json", "truncated": `{"lease":{"token":"ab`, "no token": `{"lease":{"owner":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "lease.json")
			os.WriteFile(path, []byte(content), 0o600)
			var logs bytes.Buffer
			tb, err := Open(Config{MaxTTL: time.Hour, Path: path, Serial: testSerial, Now: newClock().Now,
				Log: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if tb.Holder() != nil {
				t.Fatal("a lease from an unreadable file")
			}
			if !strings.Contains(logs.String(), "lease state file unreadable: set aside") {
				t.Fatalf("log: %s", logs.String())
			}
			aside, _ := filepath.Glob(path + ".unreadable-*")
			if len(aside) != 1 {
				t.Fatalf("set aside: %v", aside)
			}
			if b, _ := os.ReadFile(aside[0]); string(b) != content {
				t.Fatalf("set-aside content %q", b)
			}
			if _, err := tb.Lock("station-1", 10); err != nil {
				t.Fatalf("lock after setting aside: %v", err)
			}
		})
	}
}

// TestLockFailsWhenStateCannotBeWritten: a folder where the state file
// cannot be kept is Open's error, and the table it returns
// refuses every lease rather than granting one in memory only.
func TestLockFailsWhenStateCannotBeWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "lease.json")
	cfg := Config{MaxTTL: time.Hour, Path: path, Serial: testSerial, Now: newClock().Now}
	tb, err := Open(cfg)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open: %v, want an error naming %s", err, path)
	}
	_, err = tb.Lock("station-1", 10)
	wantCode(t, err, "internal", "the lease could not be kept")
	if tb.Holder() != nil {
		t.Fatal("a lease held that is not on disk")
	}
}

func TestStateFileIsAtomicJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lease.json")
	tb := newTable(t, newClock(), path)
	tb.Lock("station-1", 10)
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), `"owner":"station-1"`) {
		t.Fatalf("state file %s %v", b, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".lease.json.tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
