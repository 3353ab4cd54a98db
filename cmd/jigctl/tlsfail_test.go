package main

import (
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/testpki"
)

// TestTLSFailuresPrinted: what jigctl prints, and its exit status, when TLS
// fails: broker unreachable (5) naming the cause and what to check, or a
// usage error (2) for settings that cannot work; never the password.
func TestTLSFailuresPrinted(t *testing.T) {
	p, n := tlsBroker.Get(t)
	good := testpki.URL(n, testpki.ServerName, testpki.User, testpki.Password)
	withCert := []string{"--tls-cert", p.Client.Cert, "--tls-key", p.Client.Key}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"wrong CA", append([]string{"--url", good, "--tls-ca", p.OtherCA}, withCert...), exitUnreachable,
			[]string{"jigctl: broker unreachable: amqps://jigmq-tls-user:xxxxx@localhost:", "TLS handshake with localhost:",
				"x509: certificate signed by unknown authority", "check the CA file"}},
		{"host name", append([]string{"--url", testpki.URL(n, "127.0.0.1", testpki.User, testpki.Password),
			"--tls-ca", p.CA}, withCert...), exitUnreachable,
			[]string{"doesn't contain any IP SANs", "not for this host name"}},
		{"expired client certificate", []string{"--url", good, "--tls-ca", p.CA,
			"--tls-cert", p.Expired.Cert, "--tls-key", p.Expired.Key}, exitUnreachable,
			[]string{"remote error: tls: expired certificate", "refused our client certificate"}},
		{"no client certificate", []string{"--url", good, "--tls-ca", p.CA}, exitUnreachable,
			[]string{"remote error: tls: certificate required", "configure a certificate and key"}},
		{"TLS flags with amqp://", []string{"--url", n.URL(testpki.User, testpki.Password), "--tls-ca", p.CA},
			exitUsage, []string{"--tls-* flags need an amqps:// --url", "xxxxx"}},
		{"missing CA file", []string{"--url", good, "--tls-ca", p.Dir + "/none.pem"}, exitUsage,
			[]string{"TLS flags: CA file: open", "none.pem"}},
		{"external without certificate", []string{"--url", good, "--tls-ca", p.CA, "--tls-external"}, exitUsage,
			[]string{"--tls-external needs --tls-cert and --tls-key"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runTLS(t, append(tc.args, "ping", "JIG-0001")...)
			t.Logf("exit %d, stderr: %s", code, errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			rest := errOut
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stderr lacks %q (or not in order):\n%s", w, errOut)
				}
				rest = rest[i+len(w):]
			}
			if strings.Contains(out+errOut, testpki.Password) {
				t.Fatalf("password printed:\n%s%s", out, errOut)
			}
		})
	}
}
