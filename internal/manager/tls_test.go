package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

// tlsBroker is this package's private node with an amqps listener that
// requires a client certificate (see testpki.Broker).
var tlsBroker = &testpki.Broker{}

func TestMain(m *testing.M) { testbroker.Main(m, tlsBroker) }

// tlsManager is a board and a configuration file for a fresh serial; the
// file's broker section is the caller's.
type tlsManager struct {
	serial string
	path   string
	logs   *lineWriter
}

func newTLSManager(t *testing.T, broker string) *tlsManager {
	t.Helper()
	m := &tlsManager{serial: "TLS-" + uuid.NewString()[:12], logs: newLineWriter()}
	link := filepath.Join(t.TempDir(), "tty")
	board, err := sim.Start(link, sim.Config{Identity: "SIM," + m.serial}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	m.path = filepath.Join(t.TempDir(), m.serial+".yaml")
	yaml := fmt.Sprintf("serial: %s\nbroker:\n%s\nfixture: {port: %q}\n", m.serial, broker, link)
	if err := os.WriteFile(m.path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return m
}

// load reads the file as jig-manager does, with the password in the
// environment, and validates it.
func (m *tlsManager) load(t *testing.T) Config {
	t.Helper()
	env := map[string]string{"JIG_AMQP_PASSWORD": testpki.Password}
	cfg, err := Load(m.path, func(k string) string { return env[k] })
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs the manager with jig-manager's logger until the test ends.
func (m *tlsManager) run(t *testing.T, cfg Config, ready chan<- struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	hooks := Hooks{OnReady: func() {
		select {
		case ready <- struct{}{}:
		default:
		}
	}}
	go func() { done <- Run(ctx, cfg, "test", NewLogger(cfg.Log, m.logs), hooks) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("manager did not stop within 15s")
		}
		if out := m.logs.all.String(); strings.Contains(out, testpki.Password) {
			t.Errorf("password in the manager's logs:\n%s", out)
		}
	})
}

// serve runs the manager and waits until it consumes.
func (m *tlsManager) serve(t *testing.T, cfg Config) {
	t.Helper()
	ready := make(chan struct{}, 1)
	m.run(t, cfg, ready)
	select {
	case <-ready:
	case <-time.After(15 * time.Second):
		t.Fatalf("manager not ready within 15s; logs:\n%s", m.logs.all.String())
	}
}

func tlsBlock(ca string, pair testpki.Pair, extra string) string {
	return fmt.Sprintf("  tls: {ca: %q, cert: %q, key: %q%s}", ca, pair.Cert, pair.Key, extra)
}

// TestTLSFromConfigFile: the configuration file's amqps URL (user in the
// file, password from JIG_AMQP_PASSWORD) and its CA, certificate and key
// bring the manager onto the TLS listener, and a TLS client gets the
// fixture's status from it.
func TestTLSFromConfigFile(t *testing.T) {
	p, n := tlsBroker.Get(t)
	m := newTLSManager(t, fmt.Sprintf("  urls: [%q]\n%s", testpki.URL(n, testpki.ServerName, testpki.User, ""),
		tlsBlock(p.CA, p.Client, "")))
	m.serve(t, m.load(t))
	st := askStatus(t, mqmanager.Broker{URLs: []string{testpki.URL(n, testpki.ServerName, testpki.User, testpki.Password)}},
		p, m.serial)
	if st.Identity != "SIM,"+m.serial || !st.Connected {
		t.Fatalf("status %+v", st)
	}
	if out := m.logs.all.String(); !containsAll(out, []string{"msg=serving", "url=amqps://jigmq-tls-user:xxxxx@localhost:"}) {
		t.Errorf("no redacted 'serving' line:\n%s", out)
	}
}

// TestTLSExternalFromConfigFile: tls.external logs in with the certificate;
// the URL has no user and there is no password anywhere.
func TestTLSExternalFromConfigFile(t *testing.T) {
	p, n := tlsBroker.Get(t)
	url := testpki.URL(n, testpki.ServerName, "", "")
	m := newTLSManager(t, fmt.Sprintf("  urls: [%q]\n  user: %s\n%s", url, testpki.ClientCN,
		tlsBlock(p.CA, p.Client, ", external: true")))
	m.serve(t, m.load(t))
	st := askStatus(t, mqmanager.Broker{URLs: []string{url}, External: true}, p, m.serial)
	if st.Identity != "SIM,"+m.serial {
		t.Fatalf("status %+v", st)
	}
}
