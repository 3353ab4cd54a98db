package testpki

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jigmq/jigmq/internal/testbroker"
)

// User and Password log in with PLAIN over amqps. The password is one no
// message could contain by accident, so tests can look for it.
const (
	User     = "jigmq-tls-user"
	Password = "Pw-9f3kq2-never-shown"
)

// Broker is a private RabbitMQ node with an amqps listener (certificate
// from the PKI, client certificate required), EXTERNAL login mapping a
// certificate's common name to the user of that name, and two users: User
// (PLAIN, Password) and ClientCN (EXTERNAL). A test package shares one:
//
//	var tlsBroker = &testpki.Broker{}
//	func TestMain(m *testing.M) { code := m.Run(); tlsBroker.Close(); os.Exit(code) }
type Broker struct {
	mu   sync.Mutex
	lazy testbroker.Lazy
	pki  *PKI
	dir  string
	ok   bool
	err  error
}

// Get returns the PKI and the node, making both on first use.
func (b *Broker) Get(t testing.TB) (*PKI, *testbroker.Node) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ok && b.err == nil {
		b.err = b.setup(t)
	}
	if b.err != nil {
		t.Fatalf("testpki: %v", b.err)
	}
	return b.pki, b.lazy.Get(t)
}

// setup makes the PKI (once), boots the node (lazy.Get fails the test if it
// cannot: every later Get fails the same way) and adds the users.
func (b *Broker) setup(t testing.TB) error {
	if b.pki == nil {
		dir, err := os.MkdirTemp("", "jigmq-pki-")
		if err != nil {
			return err
		}
		b.dir = dir
		if b.pki, err = New(dir); err != nil {
			return err
		}
	}
	b.lazy.Options = testbroker.Options{
		TLS:     &testbroker.TLSFiles{CA: b.pki.CA, Cert: b.pki.Server.Cert, Key: b.pki.Server.Key},
		Plugins: []string{"rabbitmq_auth_mechanism_ssl"},
		Config: []string{
			"auth_mechanisms.1 = PLAIN",
			"auth_mechanisms.2 = AMQPLAIN",
			"auth_mechanisms.3 = EXTERNAL",
			"ssl_cert_login_from = common_name",
		},
	}
	n := b.lazy.Get(t)
	for _, u := range []struct{ name, pass string }{{User, Password}, {ClientCN, "unused-for-external"}} {
		if _, err := n.Ctl(u.pass+"\n", "add_user", u.name); err != nil {
			return err
		}
		if _, err := n.Ctl("", "set_permissions", u.name, ".*", ".*", ".*"); err != nil {
			return err
		}
	}
	b.ok = true
	return nil
}

// URL is an amqps URL of the node's TLS listener at host (ServerName, or
// 127.0.0.1 for a host name mismatch); user and pass may be empty.
func URL(n *testbroker.Node, host, user, pass string) string {
	cred := ""
	switch {
	case user != "" && pass != "":
		cred = user + ":" + pass + "@"
	case user != "":
		cred = user + "@"
	}
	return fmt.Sprintf("amqps://%s%s:%d/", cred, host, n.TLSPort)
}

// Close stops the node, if it was started, and removes the PKI.
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	err := b.lazy.Close()
	if b.dir != "" {
		err = errors.Join(err, os.RemoveAll(b.dir))
	}
	b.dir, b.ok, b.pki = "", false, nil
	return err
}
