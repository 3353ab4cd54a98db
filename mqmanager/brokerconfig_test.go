package mqmanager

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokerConfigValidate: the defaults are valid, and every problem is
// reported under its key path.
func TestBrokerConfigValidate(t *testing.T) {
	if err := DefaultBrokerConfig().Validate("broker"); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := DefaultServerLimits().Validate("server"); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := BrokerConfig{URLs: []string{"amqp://u:pw@h/", "http://x"}, Heartbeat: -1,
		TLS: TLSSettings{External: true}}
	wantLines(t, c.Validate("broker"), "broker.urls: broker URL http://x",
		"broker.tls.external: needs broker.tls.cert and broker.tls.key",
		"broker.tls: need an amqps:// broker.urls; amqp://u:xxxxx@h/ would not use TLS",
		"broker.tls: need an amqps:// broker.urls; http://x would not use TLS",
		"broker.user: required with broker.tls.external", "broker.heartbeat: must not be negative")
	l := ServerLimits{MaxBody: 1, ShutdownGrace: -1}
	wantLines(t, l.Validate("server"), "server.shutdown_grace: must not be negative", "server.max_body: 1 byte")
}

// TestTLSCheckNames: one rule, named by key paths or by flags.
func TestTLSCheckNames(t *testing.T) {
	key := filepath.Join(t.TempDir(), "k.pem")
	if err := os.WriteFile(key, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(key, 0o644)
	flags := TLSNames{URLs: "--url", TLS: "--tls-* flags", Files: "TLS flags", Cert: "--tls-cert",
		Key: "--tls-key", External: "--tls-external", Sep: " "}
	s := TLSSettings{TLSFiles: TLSFiles{Key: key}, External: true}
	_, err := s.Check([]string{"amqp://u:pw@h/"}, flags)
	wantLines(t, err, "TLS flags: a client certificate needs its key",
		"--tls-external needs --tls-cert and --tls-key (the certificate is the login)",
		"--tls-key "+key+" is readable by everyone (mode 0644)",
		"--tls-* flags need an amqps:// --url; amqp://u:xxxxx@h/ would not use TLS")
	_, err = s.Check([]string{"amqp://u:pw@h/"}, KeyPaths("broker"))
	wantLines(t, err, "broker.tls: a client certificate needs its key",
		"broker.tls.external: needs broker.tls.cert and broker.tls.key (the certificate is the login)",
		"broker.tls.key: "+key+" is readable by everyone (mode 0644)",
		"broker.tls: need an amqps:// broker.urls; amqp://u:xxxxx@h/ would not use TLS")
	if cfg, err := (TLSSettings{}).Check([]string{"amqp://h/"}, flags); cfg != nil || err != nil {
		t.Fatalf("nothing set: %v %v", cfg, err)
	}
}

// wantLines checks that err's lines start, in order, with want, and that
// there are no others.
func wantLines(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want %q", i, lines[i], w)
		}
	}
}
