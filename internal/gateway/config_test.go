package gateway

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/testpki"
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
	if _, err := Load(dir+"/bad.yaml", func(string) string { return "" }); err == nil ||
		err.Error() != "fleet.max_fixture: unknown key (line 3)" {
		t.Fatalf("unknown key: %v", err)
	}
	cfg = DefaultConfig()
	cfg.Listen, cfg.API.Timeout, cfg.Fleet.MaxFixtures, cfg.TLSCert = "nope", 0, 0, "x.pem"
	err = cfg.Validate()
	for _, key := range []string{"listen:", "api.timeout:", "fleet.max_fixtures:", "tls_key: required with tls_cert"} {
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

// TestConfigEveryProblemAtOnce: decode problems and Validate's together,
// each under its key path, as jig-gateway reports them.
func TestConfigEveryProblemAtOnce(t *testing.T) {
	path := t.TempDir() + "/bad.yaml"
	writeFile(t, path, "listen: 127.0.0.1:8080\nbroker: {prefetch: 70000, hartbeat: 5s}\n"+
		"fleet:\n  max_streams: many\n  max_fixtures: 0\nlog: {format: xml}\n")
	cfg, err := Load(path, func(string) string { return "" })
	if !keypath.Partial(err) {
		t.Fatalf("load: %v", err)
	}
	want := "broker.hartbeat: unknown key (line 2)\n" +
		`fleet.max_streams: "many" is not an integer (line 4)` + "\n" +
		"broker.prefetch: 70000 is not between 0 (the default) and 65535\n" +
		"fleet.max_fixtures: 0 is not between 1 and 1000000\n" +
		`log.format: "xml" is not text or json`
	if got := fmt.Sprint(keypath.Report(err, cfg.Validate())); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestConfigListenAndTLSFiles: a listen port net.Listen would refuse, and
// HTTPS files that do not load as a pair, are configuration problems
// under their key paths (they used to pass Validate and fail at start).
func TestConfigListenAndTLSFiles(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		listen, cert, key string
		want              []string // each error's start; none: valid
	}{
		{"127.0.0.1:0", pki.Server.Cert, pki.Server.Key, nil},
		{":http", "", "", nil},
		{"127.0.0.1:notaport", "", "", []string{`listen: port "notaport" is not`}},
		{"127.0.0.1:99999", "", "", []string{`listen: port "99999" is not`}},
		{"127.0.0.1:0", "/no/cert.pem", "/no/key.pem", []string{"tls_cert: open /no/cert.pem", "tls_key: open /no/key.pem"}},
		{"127.0.0.1:0", pki.Server.Cert, pki.Client.Key, []string{"tls_cert: " + pki.Server.Cert + " with tls_key " + pki.Client.Key}},
		// one file set, and missing: both problems, not only the pairing's
		{"127.0.0.1:0", "/no/cert.pem", "", []string{"tls_cert: open /no/cert.pem", "tls_key: required with tls_cert"}},
		{"127.0.0.1:0", "", "/no/key.pem", []string{"tls_key: open /no/key.pem", "tls_cert: required with tls_key"}},
	} {
		cfg := DefaultConfig()
		cfg.Listen, cfg.TLSCert, cfg.TLSKey = c.listen, c.cert, c.key
		var got []string
		if err := cfg.Validate(); err != nil {
			got = strings.Split(err.Error(), "\n")
		}
		if len(got) != len(c.want) {
			t.Errorf("%s %q %q: %q, want %q", c.listen, c.cert, c.key, got, c.want)
			continue
		}
		for i, w := range c.want {
			if !strings.HasPrefix(got[i], w) {
				t.Errorf("%s %q %q: %q, want %q...", c.listen, c.cert, c.key, got[i], w)
			}
		}
	}
}
