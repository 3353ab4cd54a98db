package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLeaseStateUnusableExits2: a lease.state_file the manager cannot keep
// fails the start, before the broker is dialled, with exit 2 (not
// restarted by systemd) and an error naming lease.state_file: in a folder
// that is not there, or holding another serial's lease, which is left
// untouched.
func TestLeaseStateUnusableExits2(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "lease-JIG-C.json")
	otherLease := `{"serial":"JIG-C","lease":{"token":"00112233445566778899aabbccddeeff","owner":"owner-of-C",` +
		`"ttl_s":60,"acquired_at":"2030-01-01T00:00:00Z","expires_at":"2030-01-01T00:01:00Z"}}`
	os.WriteFile(other, []byte(otherLease), 0o600)
	for file, want := range map[string]string{
		filepath.Join(dir, "missing", "lease.json"): filepath.Join(dir, "missing"),
		other: `holds the lease of serial "JIG-C", not of "JIG-T"`,
	} {
		path := filepath.Join(dir, "JIG-T.yaml")
		yaml := "serial: JIG-T\nfixture: {port: /dev/ttyUSB0}\nlease: {state_file: " + file + "}\n"
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		// The URL is never dialled: the check comes first.
		err := run(context.Background(), []string{"--config", path, "--url", "amqp://127.0.0.1:1/"},
			&bytes.Buffer{}, &stderr)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "lease.state_file: ") ||
			!strings.Contains(err.Error(), want) {
			t.Fatalf("%s: exit %d (%v), want 2 naming lease.state_file and %q", file, exitCode(err), err, want)
		}
	}
	if b, _ := os.ReadFile(other); string(b) != otherLease {
		t.Fatalf("the other serial's state file changed: %s", b)
	}
}
