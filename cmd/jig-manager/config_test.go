package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestConfigEveryProblemExits2: a file with an unknown key, a value of the
// wrong type and values Validate refuses exits 2 naming every one, under
// its key path, at once; a flag still overrides what the file says.
func TestConfigEveryProblemExits2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("serial: bad.serial\nbroker:\n  prefetch: 65536\nfixture:\n  port: /dev/x\n"+
		"  querytimeout: 2s\n  baud: fast\n  parity: weird\nlease:\n  max_ttl: 48h\n"), 0o600)
	err := run(context.Background(), []string{"--config", path, "--serial", "JIG-0001"}, &bytes.Buffer{}, &bytes.Buffer{})
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	want := "configuration:\n" +
		"fixture.querytimeout: unknown key (line 6)\n" +
		`fixture.baud: "fast" is not an integer (line 7)` + "\n" +
		"broker.prefetch: 65536 is not between 0 (the default) and 65535\n" +
		`fixture.parity: "weird" is not none, odd, even, mark or space` + "\n" +
		"lease.max_ttl: 48h0m0s is not between 1s and 24h0m0s"
	if err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}
