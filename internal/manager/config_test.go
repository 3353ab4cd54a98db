package manager

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testpki"
)

func TestExampleConfigsValid(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"jig-manager.demo.yaml", "jig-manager.example.yaml"} {
		cfg, err := Load(filepath.Join("..", "..", "configs", name), func(string) string { return "" })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The example's certificate files are on a fixture PC, not here.
		if tls := &cfg.Broker.TLS; tls.CA != "" {
			tls.CA, tls.Cert, tls.Key = pki.CA, pki.Client.Cert, pki.Client.Key
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func TestDecodeOverDefaults(t *testing.T) {
	cfg, err := Decode(strings.NewReader("serial: JIG-7\nfixture: {port: /dev/ttyUSB0, query_timeout: 250ms}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Serial != "JIG-7" || cfg.Fixture.QueryTimeout != 250*time.Millisecond {
		t.Fatalf("decoded %+v", cfg)
	}
	def := DefaultConfig()
	if cfg.Server != def.Server || cfg.Fib != def.Fib || cfg.Broker.Heartbeat != def.Broker.Heartbeat {
		t.Fatalf("defaults lost: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	_, err := Decode(strings.NewReader("serial: JIG-7\nbroker: {urls: [amqp://x/], hartbeat: 5s}\n"))
	if err == nil || !strings.Contains(err.Error(), "hartbeat") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

func TestValidateJoinsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Serial = "bad.serial"
	cfg.Broker.URLs = []string{"http://nope"}
	cfg.Fib.MaxN = -1
	cfg.Log.Format = "xml"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"serial", "broker.urls", "fixture", "fib.max_n", "log.format"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 5 {
		t.Errorf("%d problems reported, want 5", n)
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.yaml")
	os.WriteFile(path, []byte("serial: JIG-1\nbroker: {urls: ['amqp://jig-JIG-1@h1/', 'amqp://u:p@h2/']}\nfixture: {port: /dev/x}\n"), 0o600)
	env := map[string]string{"JIG_AMQP_PASSWORD": "pw"}
	cfg, err := Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Broker.urls()
	if got[0] != "amqp://jig-JIG-1:pw@h1/" || got[1] != "amqp://u:p@h2/" {
		t.Fatalf("urls %v", got)
	}
	env["AMQP_URL"] = "amqp://other/"
	cfg, _ = Load(path, func(k string) string { return env[k] })
	if len(cfg.Broker.URLs) != 1 || cfg.Broker.URLs[0] != "amqp://other/" {
		t.Fatalf("AMQP_URL not applied: %v", cfg.Broker.URLs)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), func(string) string { return "" })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want not-exist, got %v", err)
	}
}

func TestTLSConfig(t *testing.T) {
	if c, err := (TLS{}).tlsConfig(); c != nil || err != nil {
		t.Fatalf("empty TLS: %v %v", c, err)
	}
	if _, err := (TLS{Cert: "/x"}).tlsConfig(); err == nil {
		t.Fatal("cert without key accepted")
	}
	if _, err := (TLS{CA: "/no/such/ca.pem"}).tlsConfig(); err == nil {
		t.Fatal("missing CA accepted")
	}
}

func TestSecurityConfig(t *testing.T) {
	cfg, err := Decode(strings.NewReader("serial: JIG-1\nfixture: {port: /dev/x}\n" +
		"broker: {urls: ['amqp://jig-JIG-1@h/'], user: jig-JIG-1}\nsecurity: {controller_users: [line-ctl, mes]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Broker.User != "jig-JIG-1" || len(cfg.Security.ControllerUsers) != 2 {
		t.Fatalf("decoded %+v %+v", cfg.Broker, cfg.Security)
	}
	cfg.Broker.User = "jig-JIG-2"
	cfg.Security.ControllerUsers = []string{"mes", "", " mes", "mes"}
	wantProblems(t, cfg.Validate(), "broker.user", "would refuse", `"" is not a user name`,
		`" mes" is not a user name`, `"mes" is listed twice`)

	cfg = DefaultConfig()
	cfg.Serial, cfg.Fixture.Port = "JIG-1", "/dev/x"
	cfg.Broker.URLs = []string{"amqps://h/"}
	cfg.Broker.TLS.External = true
	wantProblems(t, cfg.Validate(), "broker.user: required with broker.tls.external")
	cfg.Broker.User = "CN=jig-JIG-1"
	if err := cfg.Validate(); err == nil || strings.Contains(err.Error(), "broker.user") {
		t.Fatalf("certificate login with its user but no certificate: %v", err)
	}
}

func wantProblems(t *testing.T, err error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", says)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not say %q:\n%v", s, err)
		}
	}
}
