package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSConfigErrorExits2: TLS settings that cannot work are configuration
// errors (exit 2, not restarted by systemd) that say what is wrong, without
// the password: a plain URL (here from --url, which names it) that would
// ignore broker.tls, and a CA file that is not there.
func TestTLSConfigErrorExits2(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "JIG-1.yaml")
	yaml := "serial: JIG-1\nfixture: {port: /dev/ttyUSB0}\nbroker:\n  tls: {ca: " + dir + "/ca.pem}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--config", path, "--url", "amqp://jig-JIG-1:Pw-s3cret@rabbit-1/"},
		&bytes.Buffer{}, &stderr)
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	for _, want := range []string{"broker.tls: CA file: open " + dir + "/ca.pem",
		"broker.tls: need an amqps:// --url; amqp://jig-JIG-1:xxxxx@rabbit-1/ would not use TLS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error()+stderr.String(), "Pw-s3cret") {
		t.Errorf("password shown: %v\n%s", err, stderr.String())
	}
}
