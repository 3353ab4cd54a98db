package lease

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOtherSerialRefused: a table pointed at another fixture's state file
// neither restores nor accepts its lease, and never writes the file:
// Open says whose it is, Lock fails (internal) and the other
// fixture's lease stays on disk byte for byte.
func TestOtherSerialRefused(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "lease.json")
	other, err := Open(Config{MaxTTL: time.Hour, Path: path, Serial: "JIG-C", Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := other.Lock("owner-of-C", 600)
	before, _ := os.ReadFile(path)
	cfg := Config{MaxTTL: time.Hour, Path: path, Serial: testSerial, Now: c.Now}
	tb, err := Open(cfg)
	if err == nil || !strings.Contains(err.Error(), `serial "JIG-C", not of "JIG-1"`) {
		t.Fatalf("Open: %v", err)
	}
	if h := tb.Holder(); h != nil {
		t.Fatalf("another serial's lease restored: %+v", h)
	}
	wantCode(t, tb.CheckWrite("OUTP ON", l.Token), "not_locked", "no lease is held")
	_, err = tb.Lock("owner-of-T", 60)
	wantCode(t, err, "internal", "JIG-C")
	tb.Unlock(l.Token)
	tb.ForceUnlock()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatalf("the other serial's file changed:\n%s\nto\n%s", before, after)
	}
}

// TestFileWithoutSerialRestored: a state file of the version that kept no
// serial is this fixture's: its lease is restored, and the file is
// written back with the serial.
func TestFileWithoutSerialRestored(t *testing.T) {
	c := newClock()
	path := filepath.Join(t.TempDir(), "lease.json")
	old := `{"lease":{"token":"00112233445566778899aabbccddeeff","owner":"station-1","ttl_s":60,` +
		`"acquired_at":"2030-01-02T03:04:00Z","expires_at":"2030-01-02T03:05:00Z"}}`
	os.WriteFile(path, []byte(old), 0o600)
	tb := newTable(t, c, path)
	if h := tb.Holder(); h == nil || h.Owner != "station-1" {
		t.Fatalf("holder: %+v", h)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), `"serial":"JIG-1"`) ||
		!strings.Contains(string(b), `"owner":"station-1"`) {
		t.Fatalf("state file not stamped: %s", b)
	}
}

// TestUntrustedLeaseSetAside: a lease beyond lease.max_ttl (its ttl_s, or
// the time it has left) is not restored: the file is set aside and
// logged, and the fixture is free.
func TestUntrustedLeaseSetAside(t *testing.T) {
	for name, lease := range map[string]string{
		"ttl_s":      `"ttl_s":999999,"expires_at":"2030-01-02T03:05:00Z"`,
		"expires_at": `"ttl_s":60,"expires_at":"2099-01-01T00:00:00Z"`,
		"zero ttl_s": `"ttl_s":0,"expires_at":"2030-01-02T03:05:00Z"`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lease.json")
			content := `{"serial":"JIG-1","lease":{"token":"00112233445566778899aabbccddeeff","owner":"ghost",` +
				`"acquired_at":"2030-01-02T03:04:00Z",` + lease + `}}`
			os.WriteFile(path, []byte(content), 0o600)
			var logs bytes.Buffer
			tb, err := Open(Config{MaxTTL: time.Hour, Path: path, Serial: testSerial, Now: newClock().Now,
				Log: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil || tb.Holder() != nil {
				t.Fatalf("open: %v, holder %+v", err, tb.Holder())
			}
			if !strings.Contains(logs.String(), "lease state file untrusted: set aside") {
				t.Fatalf("log: %s", logs.String())
			}
			if aside, _ := filepath.Glob(path + ".untrusted-*"); len(aside) != 1 {
				t.Fatalf("set aside: %v", aside)
			}
			if _, err := tb.Lock("station-1", 10); err != nil {
				t.Fatalf("lock after setting aside: %v", err)
			}
		})
	}
}

// TestStateFileNotRegular: a state file path that is a named pipe or a
// folder is an error at once (a pipe is not waited on for a writer), and
// is left as it is, never set aside.
func TestStateFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo, folder := filepath.Join(dir, "fifo"), filepath.Join(dir, "folder")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(folder, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{fifo: "named pipe", folder: "folder"} {
		checked := make(chan error, 1)
		go func() {
			_, err := Open(Config{MaxTTL: time.Hour, Path: path, Serial: testSerial})
			checked <- err
		}()
		select {
		case err := <-checked:
			if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
				t.Errorf("Open(%s): %v, want not a regular file", kind, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Open(%s) still waiting after 10s", kind)
		}
		if _, err := os.Lstat(path); err != nil {
			t.Errorf("%s after Open: %v", kind, err)
		}
	}
	if _, err := os.Stat(filepath.Join(folder, "inside")); err != nil {
		t.Errorf("the folder's content: %v", err)
	}
}
