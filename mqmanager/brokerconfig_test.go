package mqmanager

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBrokerConfigValidate: the defaults are valid, and every problem is
// reported under its key path.
func TestBrokerConfigValidate(t *testing.T) {
	if err := DefaultBrokerConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if err := DefaultServerLimits().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	c := BrokerConfig{URLs: []string{"amqp://u:pw@h/", "http://x"}, Heartbeat: -1,
		TLS: TLSSettings{External: true}}
	wantLines(t, c.Validate(), "urls: broker URL http://x",
		"tls.external: needs tls.cert and tls.key",
		"tls: need an amqps:// urls; amqp://u:xxxxx@h/ would not use TLS",
		"tls: need an amqps:// urls; http://x would not use TLS",
		"user: required with tls.external", "heartbeat: -1ns is not 0 (the default) or between 1s and 18h12m15s")
	l := ServerLimits{MaxBody: 1, ShutdownGrace: -1}
	wantLines(t, l.Validate(), "shutdown_grace: must not be negative", "max_body: 1 byte")
}

// TestBrokerConfigRanges: a value AMQP would carry narrowed (prefetch and
// heartbeat in 16 bits) is refused under its key, never wrapped.
func TestBrokerConfigRanges(t *testing.T) {
	for _, tc := range []struct {
		prefetch  int
		heartbeat time.Duration
		want      string // "" for valid
	}{
		{0, 0, ""},
		{1, time.Second, ""},
		{65535, MaxHeartbeat, ""},
		{65536, 0, "prefetch: 65536 is not between 0 (the default) and 65535"},
		{100000, 0, "prefetch: 100000 is not between 0 (the default) and 65535"},
		{-1, 0, "prefetch: -1 is not between 0 (the default) and 65535"},
		{0, 500 * time.Millisecond, "heartbeat: 500ms is not 0 (the default) or between 1s and 18h12m15s"},
		{0, MaxHeartbeat + time.Second, "heartbeat: 18h12m16s is not 0 (the default) or between 1s and 18h12m15s"},
	} {
		c := DefaultBrokerConfig()
		c.Prefetch, c.Heartbeat = tc.prefetch, tc.heartbeat
		err := c.Validate()
		if got := fmt.Sprint(err); (tc.want == "") != (err == nil) || (err != nil && got != tc.want) {
			t.Errorf("prefetch %d, heartbeat %v: %v, want %q", tc.prefetch, tc.heartbeat, err, tc.want)
		}
	}
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
