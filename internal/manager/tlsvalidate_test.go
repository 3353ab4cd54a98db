package manager

import (
	"os"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/testpki"
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
		tls  TLS
		user string // broker.user
		want string // "" for valid
	}{
		{"CA, certificate and key", amqps, TLS{CA: p.CA, Cert: p.Client.Cert, Key: p.Client.Key}, "", ""},
		{"external", amqps, TLS{CA: p.CA, Cert: p.Client.Cert, Key: p.Client.Key, External: true}, "CN=jig-JIG-1", ""},
		{"external without its user", amqps, TLS{CA: p.CA, Cert: p.Client.Cert, Key: p.Client.Key, External: true}, "",
			"broker.user: required with broker.tls.external"},
		{"system CAs", amqps, TLS{}, "", ""},
		{"TLS set, URL plain", []string{"amqps://a@h1/", "amqp://a:pw@h2/"}, TLS{CA: p.CA},
			"", "broker.urls: amqp://a:xxxxx@h2/ is not amqps:// but broker.tls is set"},
		{"missing CA file", amqps, TLS{CA: p.Dir + "/none.pem"}, "", "broker.tls: CA file: open"},
		{"CA file not PEM", amqps, TLS{CA: p.Client.Key}, "", "holds no PEM certificate"},
		{"certificate without key", amqps, TLS{Cert: p.Client.Cert}, "", "a client certificate needs its key"},
		{"key of another certificate", amqps, TLS{Cert: p.Client.Cert, Key: p.Stranger.Key},
			"", "private key does not match public key"},
		{"external without certificate", amqps, TLS{CA: p.CA, External: true},
			"", "broker.tls.external: needs cert and key"},
		{"key readable by everyone", amqps, TLS{Cert: p.Client.Cert, Key: readable},
			"", "readable.key is readable by everyone (mode 0644)"},
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
