package manager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/mqmanager"
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
	if err == nil || err.Error() != "broker.hartbeat: unknown key (line 2)" {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

// TestValidateJoinsEveryProblem: every problem is reported, each on its
// own under its full key path, in one form, from every section.
func TestValidateJoinsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Serial = "bad.serial"
	cfg.Broker.URLs = []string{"http://nope"}
	cfg.Broker.Prefetch, cfg.Broker.ReconnectMax = 65536, -time.Second
	cfg.Server.Concurrency, cfg.Server.MaxBody = -1, 1
	cfg.Fixture.DataBits, cfg.Fixture.Baud = 9, -5
	cfg.Fixture.Queries = []jig.Query{{Name: "a", Command: "A?"}, {Name: "a", Command: "B?", Pattern: "("}}
	cfg.Fixture.Resync.Quiet = time.Minute
	cfg.Fixture.Commands.Allow = []string{"OK?", "A;B"}
	cfg.Fib.MaxN = -1
	cfg.Log.Format, cfg.Log.Level = "xml", "loud"
	cfg.Events.Poll = time.Hour
	cfg.Metrics.Listen = "9464"
	wantPaths(t, cfg.Validate(), "serial", "broker.urls", "broker.prefetch", "broker.reconnect_max",
		"server.concurrency", "server.max_body", "fixture.port", "fixture.baud", "fixture.data_bits",
		"fixture.resync.quiet", "fixture.queries[1].name", "fixture.queries[1].pattern",
		"fixture.commands.allow[1]", "fib.max_n", "log.level", "log.format", "events.poll", "metrics.listen")
	if got := cfg.Validate().Error(); !strings.Contains(got, "\nfixture.baud: -5 is not between 1 and 4294967295") ||
		!strings.Contains(got, "\nbroker.prefetch: 65536 is not between 0 (the default) and 65535\n") {
		t.Errorf("messages:\n%s", got)
	}
}

// wantPaths checks that err joins one *keypath.Error per path, in order.
func wantPaths(t *testing.T, err error, paths ...string) {
	t.Helper()
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("%v: not joined problems", err)
	}
	var got []string
	for _, e := range j.Unwrap() {
		ke, ok := e.(*keypath.Error)
		if !ok {
			t.Errorf("%q has no key path", e)
			continue
		}
		got = append(got, ke.Path)
	}
	if !slices.Equal(got, paths) {
		t.Errorf("paths %q\nwant  %q\n%v", got, paths, err)
	}
}

// TestDefaultsAsDocumented: an empty file is DefaultConfig, whose values
// are the ones the library types document, and the example configuration,
// which shows every key with its default, decodes to them too.
func TestDefaultsAsDocumented(t *testing.T) {
	empty, err := Decode(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()
	if !reflect.DeepEqual(empty, def) {
		t.Fatalf("empty file: %+v\nDefaultConfig: %+v", empty, def)
	}
	documented := mqmanager.ServerLimits{Concurrency: 16, ComputeSlots: 0, ComputeQueue: 32, MaxBody: 65536,
		HandlerTimeout: 30 * time.Second, ShutdownGrace: 5 * time.Second}
	if def.Server != documented {
		t.Errorf("server defaults %+v, documented %+v", def.Server, documented)
	}
	b := def.Broker
	if !reflect.DeepEqual(b.URLs, []string{"amqp://guest:guest@127.0.0.1:5672/"}) || b.Heartbeat != 5*time.Second ||
		b.Prefetch != 32 || b.ReconnectMax != 5*time.Second || !b.TLS.IsZero() || b.User != "" || b.Password != "" {
		t.Errorf("broker defaults %+v", b)
	}
	if def.Fib.MaxN != 1_000_000 || def.Log != (Log{Level: "info", Format: "text"}) {
		t.Errorf("fib, log defaults %+v %+v", def.Fib, def.Log)
	}
	example, err := Load(filepath.Join("..", "..", "configs", "jig-manager.example.yaml"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// What the example sets that is not a default (its header says which).
	example.Serial, example.Fixture.Port, example.Broker.URLs, example.Broker.TLS = "", "", def.Broker.URLs, def.Broker.TLS
	example.Security, example.Fixture.Commands = def.Security, def.Fixture.Commands
	if !reflect.DeepEqual(example, def) {
		t.Errorf("the example's defaults differ:\n%+v\nDefaultConfig:\n%+v", example, def)
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
	b, err := cfg.Broker.Broker("")
	if err != nil {
		t.Fatal(err)
	}
	if got := b.URLs; got[0] != "amqp://jig-JIG-1:pw@h1/" || got[1] != "amqp://u:p@h2/" {
		t.Fatalf("urls %v", b.URLs)
	}
	env["AMQP_URL"] = "amqp://other/"
	cfg, _ = Load(path, func(k string) string { return env[k] })
	if len(cfg.Broker.URLs) != 1 || cfg.Broker.URLs[0] != "amqp://other/" {
		t.Fatalf("AMQP_URL not applied: %v", cfg.Broker.URLs)
	}
}

// TestURLProblemNamesItsSource: a bad URL that AMQP_URL set is reported
// as AMQP_URL's, not under broker.urls, a key the user never wrote; so is
// a plain one beside TLS settings. One the file gave is broker.urls'.
func TestURLProblemNamesItsSource(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.yaml")
	for _, tc := range []struct{ file, env, want string }{
		{"", "notaurl", "AMQP_URL: broker URL notaurl: AMQP scheme must be either 'amqp://' or 'amqps://'"},
		{"broker: {urls: [notaurl]}\n", "", "broker.urls: broker URL notaurl: AMQP scheme must be either 'amqp://' or 'amqps://'"},
		{"broker: {tls: {ca: " + pki.CA + "}}\n", "amqp://h/", "broker.tls: need an amqps:// AMQP_URL; amqp://h/ would not use TLS"},
	} {
		os.WriteFile(path, []byte("serial: JIG-1\nfixture: {port: /dev/x}\n"+tc.file), 0o600)
		cfg, err := Load(path, func(k string) string { return map[string]string{"AMQP_URL": tc.env}[k] })
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); fmt.Sprint(err) != tc.want {
			t.Errorf("file %q, AMQP_URL %q:\n got %v\nwant %s", tc.file, tc.env, err, tc.want)
		}
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), func(string) string { return "" })
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want not-exist, got %v", err)
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
	wantProblems(t, cfg.Validate(), "broker.user: required with tls.external")
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
