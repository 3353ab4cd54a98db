package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/mqmanager"
)

// lines is an io.Writer that hands each write on, as the one line
// jig-gateway prints on stdout is.
type lines chan string

func (l lines) Write(p []byte) (int, error) { l <- string(p); return len(p), nil }

// TestRunSaysHTTPS: with tls_cert and tls_key, jig-gateway prints and logs
// an https:// URL (it said http://), and serves HTTPS there.
func TestRunSaysHTTPS(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	yaml := fmt.Sprintf("listen: 127.0.0.1:0\ntls_cert: %s\ntls_key: %s\n", pki.Server.Cert, pki.Server.Key)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, stderr, done := make(lines, 4), &testutil.SyncBuffer{}, make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--config", path, "--url", testutil.AMQPURL(mqmanager.DefaultURL)}, out, stderr)
	}()
	var url string
	select {
	case line := <-out:
		url = strings.TrimSpace(strings.TrimPrefix(line, "jig-gateway: dashboard at "))
	case err := <-done:
		t.Fatalf("jig-gateway ended: %v\n%s", err, stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("jig-gateway printed nothing within 10s")
	}
	if !strings.HasPrefix(url, "https://") {
		t.Errorf("dashboard at %q, want an https:// URL", url)
	}
	getTLS(t, pki, url+"api/v1/fixtures")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("jig-gateway: %v", err)
	}
	if !strings.Contains(stderr.String(), "url="+url) {
		t.Errorf("the log does not say url=%s:\n%s", url, stderr)
	}
}

// getTLS gets url over TLS, trusting the test CA, and wants a 200.
func getTLS(t *testing.T, pki *testpki.PKI, url string) {
	t.Helper()
	ca, err := os.ReadFile(pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: testpki.ServerName}}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
}
