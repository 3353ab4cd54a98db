package gateway

import (
	"strings"
	"testing"
)

// TestConfigExample: the example decodes strictly and is valid; an
// unknown key, and every bad value, is reported with its key path.
func TestConfigExample(t *testing.T) {
	cfg, err := Load("../../configs/jig-gateway.example.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("example: %v", err)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/bad.yaml", "listen: 127.0.0.1:8080\nfleet:\n  max_fixture: 3\n")
	if _, err := Load(dir+"/bad.yaml", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "max_fixture") {
		t.Fatalf("unknown key: %v", err)
	}
	cfg = DefaultConfig()
	cfg.Listen, cfg.API.Timeout, cfg.Fleet.MaxFixtures, cfg.TLSCert = "nope", 0, 0, "x.pem"
	err = cfg.Validate()
	for _, key := range []string{"listen:", "api.timeout:", "fleet.max_fixtures:", "tls_cert, tls_key:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("want an error naming %s, got %v", key, err)
		}
	}
	env := map[string]string{"AMQP_URL": "amqp://u@h:5672/", "JIG_GATEWAY_TOKEN": "tok"}
	cfg, _ = Load("", func(k string) string { return env[k] })
	if cfg.Broker.URLs[0] != env["AMQP_URL"] || cfg.API.Token != "tok" {
		t.Errorf("environment not applied: %+v", cfg)
	}
}
