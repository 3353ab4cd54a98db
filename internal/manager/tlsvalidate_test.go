package manager

import (
	"os"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestTLSValidate: what is wrong with broker.tls is a configuration error,
// reported at start (jig-manager exits 2), not a connection that fails or,
// worse, quietly goes without TLS.
func TestTLSValidate(t *testing.T) {
	p, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	readable := p.Dir + "/readable.key"
	copyFile(t, p.Client.Key, readable, 0o644)
	amqps := []string{"amqps://jig-JIG-1@rabbit.example/"}
	for _, tc := range []struct {
		name string
		urls []string
		tls  mqmanager.TLSSettings
		user string // broker.user
		want string // "" for valid
	}{
		{"CA, certificate and key", amqps, tlsOf(p.CA, p.Client.Cert, p.Client.Key, false), "", ""},
		{"external", amqps, tlsOf(p.CA, p.Client.Cert, p.Client.Key, true), "CN=jig-JIG-1", ""},
		{"external without its user", amqps, tlsOf(p.CA, p.Client.Cert, p.Client.Key, true), "",
			"broker.user: required with tls.external"},
		{"system CAs", amqps, mqmanager.TLSSettings{}, "", ""},
		{"TLS set, URL plain", []string{"amqps://a@h1/", "amqp://a:pw@h2/"}, tlsOf(p.CA, "", "", false),
			"", "broker.tls: need an amqps:// urls; amqp://a:xxxxx@h2/ would not use TLS"},
		{"missing CA file", amqps, tlsOf(p.Dir+"/none.pem", "", "", false), "", "broker.tls: CA file: open"},
		{"CA file not PEM", amqps, tlsOf(p.Client.Key, "", "", false), "", "holds no PEM certificate"},
		{"certificate without key", amqps, tlsOf("", p.Client.Cert, "", false), "", "a client certificate needs its key"},
		{"key of another certificate", amqps, tlsOf("", p.Client.Cert, p.Stranger.Key, false),
			"", "private key does not match public key"},
		{"external without certificate", amqps, tlsOf(p.CA, "", "", true),
			"", "broker.tls.external: needs tls.cert and tls.key"},
		{"key readable by everyone", amqps, tlsOf("", p.Client.Cert, readable, false),
			"", "broker.tls.key: " + readable + " is readable by everyone (mode 0644)"},
	} {
		cfg := DefaultConfig()
		cfg.Serial, cfg.Fixture.Port = "JIG-1", "/dev/ttyUSB0"
		cfg.Broker.URLs, cfg.Broker.TLS, cfg.Broker.User = tc.urls, tc.tls, tc.user
		err := cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "pw@"):
			t.Errorf("%s: password in %v", tc.name, err)
		}
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, mode)
	}
	if err == nil {
		err = os.Chmod(to, mode) // whatever the umask
	}
	if err != nil {
		t.Fatal(err)
	}
}

func tlsOf(ca, cert, key string, external bool) mqmanager.TLSSettings {
	return mqmanager.TLSSettings{TLSFiles: mqmanager.TLSFiles{CA: ca, Cert: cert, Key: key}, External: external}
}
