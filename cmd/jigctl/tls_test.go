package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/mqmanager"
)

// tlsBroker is this package's private node with an amqps listener that
// requires a client certificate (see testpki.Broker).
var tlsBroker = &testpki.Broker{}

// startTLSFixture runs a board and its manager on the TLS listener (PLAIN
// login) and returns the serial once the manager consumes.
func startTLSFixture(t *testing.T, p *testpki.PKI, n *testbroker.Node) string {
	t.Helper()
	return startFixtureWith(t, uniqueSerial(), func(cfg *manager.Config) {
		cfg.Broker.URLs = []string{testpki.URL(n, testpki.ServerName, testpki.User, "")}
		cfg.Broker.Password = testpki.Password
		cfg.Broker.TLS.TLSFiles = mqmanager.TLSFiles{CA: p.CA, Cert: p.Client.Cert, Key: p.Client.Key}
	}).serial
}

// runTLS runs jigctl in-process with exactly args (no --url added).
func runTLS(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut syncBuffer
	err := run(ctx, args, &out, &errOut)
	code = cli.Finish("jigctl", err, &errOut)
	return out.String(), errOut.String(), code
}

// TestTLSPing: jigctl reaches a manager over amqps with a password, and
// with x509 login (flags from the environment) with none.
func TestTLSPing(t *testing.T) {
	p, n := tlsBroker.Get(t)
	serial := startTLSFixture(t, p, n)
	out, errOut, code := runTLS(t, "--url", testpki.URL(n, testpki.ServerName, testpki.User, testpki.Password),
		"--tls-ca", p.CA, "--tls-cert", p.Client.Cert, "--tls-key", p.Client.Key, "ping", serial)
	if code != exitOK || !strings.Contains(out, serial) {
		t.Fatalf("password login: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for k, v := range map[string]string{"JIGCTL_TLS_CA": p.CA, "JIGCTL_TLS_CERT": p.Client.Cert,
		"JIGCTL_TLS_KEY": p.Client.Key, "JIGCTL_TLS_EXTERNAL": "1"} {
		t.Setenv(k, v)
	}
	out, errOut, code = runTLS(t, "--url", testpki.URL(n, testpki.ServerName, "", ""), "ping", serial)
	if code != exitOK || !strings.Contains(out, serial) {
		t.Fatalf("x509 login: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
