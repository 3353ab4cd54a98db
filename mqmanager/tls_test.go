package mqmanager

import (
	"context"
	"crypto/tls"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/internal/testutil"
)

// tlsBroker is this package's private node with an amqps listener that
// requires a client certificate (see testpki.Broker).
var tlsBroker = &testpki.Broker{}

// tlsConfig loads the CA and a client certificate (none for nil) as
// jig-manager and jigctl do.
func tlsConfig(t testing.TB, ca string, client *testpki.Pair) *tls.Config {
	t.Helper()
	f := TLSFiles{CA: ca}
	if client != nil {
		f.Cert, f.Key = client.Cert, client.Key
	}
	cfg, err := f.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func dialTLS(t testing.TB, b Broker) *Client {
	t.Helper()
	c, err := Dial(ctxTimeout(t, 10*time.Second), ClientConfig{Broker: b, ReplyMode: ReplyShared})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func echo(t testing.TB, c *Client, serial string) {
	t.Helper()
	r, err := c.Request(ctxTimeout(t, 5*time.Second), serial, "Echo", echoArgs{Text: "over TLS"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.Result), "over TLS") {
		t.Fatalf("reply %s", r.Result)
	}
}

// tlsUsers is who the node says is connected over TLS.
func tlsUsers(t testing.TB, n *testbroker.Node) []string {
	t.Helper()
	out := n.MustCtl(t, "list_connections", "--no-table-headers", "user", "ssl")
	var users []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[1] == "true" {
			users = append(users, f[0])
		}
	}
	return users
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestTLSServeAndReply: a manager and a client over amqps, each verifying
// the broker's certificate and showing its own, with PLAIN login (the
// password in the URL). One of the manager's URLs names the broker by an
// address its certificate does not list: a dial there fails, a dial to the
// other works (each dial checks its own URL's host; the shared config is
// not changed), and the manager serves whichever it starts at.
func TestTLSServeAndReply(t *testing.T) {
	p, n := tlsBroker.Get(t)
	good := testpki.URL(n, testpki.ServerName, testpki.User, testpki.Password)
	bad := testpki.URL(n, "127.0.0.1", testpki.User, testpki.Password)
	cfg := tlsConfig(t, p.CA, &p.Client)
	if w, err := dial(ctxTimeout(t, 10*time.Second), bad, Broker{URLs: []string{bad}, TLS: cfg}); err == nil {
		w.close()
		t.Errorf("dial %s: no error, want the certificate's host refused", bad)
	} else if !strings.Contains(err.Error(), "doesn't contain any IP SANs") {
		t.Errorf("dial %s: %v, want the certificate's host refused", bad, err)
	}
	var logs testutil.SyncBuffer
	rs := startServer(t, func(c *ServerConfig) {
		c.Broker = Broker{URLs: []string{bad, good}, TLS: cfg}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	echo(t, dialTLS(t, Broker{URLs: []string{good}, TLS: cfg}), rs.serial)

	if cfg.ServerName != "" {
		t.Errorf("the caller's TLS config was changed: ServerName %q", cfg.ServerName)
	}
	if users := tlsUsers(t, n); !contains(users, testpki.User) {
		t.Errorf("TLS connections' users %v, want %s", users, testpki.User)
	}
	rs.stop(t)
	out := logs.String()
	for _, want := range []string{"level=INFO msg=serving", "xxxxx@localhost"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, testpki.Password) {
		t.Errorf("password in logs:\n%s", out)
	}
}

// TestTLSExternal: with x509 (EXTERNAL) login, manager and client connect
// with no password at all, as the user named like their certificate.
func TestTLSExternal(t *testing.T) {
	p, n := tlsBroker.Get(t)
	b := Broker{URLs: []string{testpki.URL(n, testpki.ServerName, "", "")},
		TLS: tlsConfig(t, p.CA, &p.Client), External: true}
	rs := startServer(t, func(c *ServerConfig) { c.Broker = b })
	echo(t, dialTLS(t, b), rs.serial)
	if users := tlsUsers(t, n); !contains(users, testpki.ClientCN) {
		t.Errorf("TLS connections' users %v, want %s", users, testpki.ClientCN)
	}
}

// TestTLSExternalUnknownUser: a certificate whose name is no broker user is
// refused at login; the manager says why and stops instead of retrying.
func TestTLSExternalUnknownUser(t *testing.T) {
	p, n := tlsBroker.Get(t)
	s, err := NewServer(ServerConfig{Serial: uniqueSerial(t), Broker: Broker{
		URLs: []string{testpki.URL(n, testpki.ServerName, "", "")},
		TLS:  tlsConfig(t, p.CA, &p.Stranger), External: true}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { done <- s.Run(ctx) }()
	err = <-done
	if ctx.Err() != nil {
		t.Fatal("Run kept retrying a refused x509 login")
	}
	for _, want := range []string{"username or password not allowed", "x509 login", "ssl_cert_login_from"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run: %v; want it to say %q", err, want)
		}
	}
}

// TestRefusedLoginStops: a manager whose password the broker refuses before
// it ever served stops and says so (a person must fix it), without showing
// the password.
func TestRefusedLoginStops(t *testing.T) {
	_, n := tlsBroker.Get(t)
	const wrong = "Wrong-pw-4471"
	s, err := NewServer(ServerConfig{Serial: uniqueSerial(t), Broker: Broker{URLs: []string{n.URL(testpki.User, wrong)}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	err = <-done
	if ctx.Err() != nil || err == nil {
		t.Fatalf("Run kept retrying a refused login (%v)", err)
	}
	if !strings.Contains(err.Error(), "username or password not allowed") || strings.Contains(err.Error(), wrong) {
		t.Fatalf("Run: %v", err)
	}
}
