package mqmanager

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/internal/testutil"
)

type tlsFailure struct {
	name   string
	broker func(p *testpki.PKI, n *testbroker.Node) Broker
	want   []string // in the error, in order
	as     any      // a pointer errors.As must fill, or nil
}

// tlsFailures are the ways an amqps connection fails, each with what the
// error must say: what failed, the cause, and what to check.
var tlsFailures = []tlsFailure{
	{"wrong CA", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return goodURL(n, tlsFor(p.OtherCA, &p.Client))
	}, []string{"TLS handshake with localhost:", "failed", "x509: certificate signed by unknown authority",
		"not signed by a CA we trust: check the CA file"}, new(x509.UnknownAuthorityError)},
	{"host name not in the certificate", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return Broker{URLs: []string{testpki.URL(n, "127.0.0.1", testpki.User, testpki.Password)},
			TLS: tlsFor(p.CA, &p.Client)}
	}, []string{"TLS handshake with 127.0.0.1:", "x509: cannot validate certificate for 127.0.0.1",
		"not for this host name"}, new(x509.HostnameError)},
	{"server name not in the certificate", func(p *testpki.PKI, n *testbroker.Node) Broker {
		cfg := tlsFor(p.CA, &p.Client)
		cfg.ServerName = "rabbit.example"
		return goodURL(n, cfg)
	}, []string{"x509: certificate is valid for localhost, not rabbit.example", "not for this host name"},
		new(x509.HostnameError)},
	// The broker's certificate is good for a day: a client whose clock is
	// 1000 hours ahead sees it expired, as it would a stale one.
	{"broker's certificate expired", func(p *testpki.PKI, n *testbroker.Node) Broker {
		cfg := tlsFor(p.CA, &p.Client)
		cfg.Time = func() time.Time { return time.Now().Add(1000 * time.Hour) }
		return goodURL(n, cfg)
	}, []string{"x509: certificate has expired or is not yet valid", "has expired or is not valid yet"},
		new(x509.CertificateInvalidError)},
	{"client certificate expired", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return goodURL(n, tlsFor(p.CA, &p.Expired))
	}, []string{"TLS handshake with localhost:", "remote error: tls: expired certificate",
		"the broker refused our client certificate"}, nil},
	{"no client certificate", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return goodURL(n, tlsFor(p.CA, nil))
	}, []string{"remote error: tls: certificate required", "configure a certificate and key"}, nil},
	{"client certificate from another CA", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return goodURL(n, tlsFor(p.CA, &p.Foreign))
	}, []string{"remote error: tls: certificate required", "ours is not from one"}, nil},
	{"amqps to a plain port", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return Broker{URLs: []string{fmt.Sprintf("amqps://%s:%s@localhost:%d/", testpki.User, testpki.Password, n.Port)},
			TLS: tlsFor(p.CA, &p.Client)}
	}, []string{"first record does not look like a TLS handshake", "use the broker's amqps port"},
		new(tls.RecordHeaderError)},
	{"amqp to the TLS port", func(p *testpki.PKI, n *testbroker.Node) Broker {
		return Broker{URLs: []string{fmt.Sprintf("amqp://%s:%s@localhost:%d/", testpki.User, testpki.Password, n.TLSPort)}}
	}, []string{"the broker's answer is not AMQP", "use amqps://"}, nil},
}

func goodURL(n *testbroker.Node, cfg *tls.Config) Broker {
	return Broker{URLs: []string{testpki.URL(n, testpki.ServerName, testpki.User, testpki.Password)}, TLS: cfg}
}

// tlsFor is tlsConfig for table entries, which have no t.
func tlsFor(ca string, client *testpki.Pair) *tls.Config {
	f := TLSFiles{CA: ca}
	if client != nil {
		f.Cert, f.Key = client.Cert, client.Key
	}
	cfg, err := f.Config()
	if err != nil {
		panic(err)
	}
	return cfg
}

// TestTLSFailures: each failure is "broker unreachable", says what is wrong
// in words a person can act on, keeps the cause for errors.As, and never
// shows the password.
func TestTLSFailures(t *testing.T) {
	p, n := tlsBroker.Get(t)
	for _, tc := range tlsFailures {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Dial(ctxTimeout(t, 10*time.Second), ClientConfig{Broker: tc.broker(p, n)})
			if !errors.Is(err, ErrBrokerUnreachable) {
				t.Fatalf("want ErrBrokerUnreachable, got %v", err)
			}
			wantInOrder(t, err.Error(), tc.want)
			if strings.Contains(err.Error(), testpki.Password) {
				t.Errorf("password in error: %v", err)
			}
			if tc.as != nil && !errors.As(err, tc.as) {
				t.Errorf("errors.As(%T) fails on %v", tc.as, err)
			}
		})
	}
}

func wantInOrder(t testing.TB, msg string, want []string) {
	t.Helper()
	rest := msg
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("error %q\nlacks %q (or not in order)", msg, w)
			return
		}
		rest = rest[i+len(w):]
	}
}

// TestTLSFailureLogged: a manager that cannot verify the broker logs why,
// keeps retrying (the CA may be fixed, or the broker's certificate renewed),
// and never logs the password.
func TestTLSFailureLogged(t *testing.T) {
	p, n := tlsBroker.Get(t)
	lines := &lineWriter{lines: make(chan string, 64)}
	s, err := NewServer(ServerConfig{Serial: uniqueSerial(t), Broker: goodURL(n, tlsFor(p.OtherCA, &p.Client)),
		Logger: slog.New(slog.NewTextHandler(lines, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for retries := 0; retries < 2; {
		select {
		case l := <-lines.lines:
			if strings.Contains(l, "broker link down") && strings.Contains(l, "certificate signed by unknown authority") {
				retries++
			}
		case <-ctx.Done():
			t.Fatalf("no two TLS failures logged; logs:\n%s", lines.all.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel: %v", err)
	}
	if out := lines.all.String(); strings.Contains(out, testpki.Password) {
		t.Errorf("password in logs:\n%s", out)
	}
}

// lineWriter takes a text slog handler's output (one Write per record),
// keeps it all and hands each line to a test without ever blocking.
type lineWriter struct {
	all   testutil.SyncBuffer
	lines chan string
}

func (w *lineWriter) Write(p []byte) (int, error) {
	select {
	case w.lines <- string(p):
	default:
	}
	return w.all.Write(p)
}
