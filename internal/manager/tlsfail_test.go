package manager

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testpki"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// askStatus asks serial for its status over TLS with the good client
// certificate.
func askStatus(t *testing.T, b mqmanager.Broker, p *testpki.PKI, serial string) jigapi.Status {
	t.Helper()
	var err error
	b.TLS, err = mqmanager.TLSFiles{CA: p.CA, Cert: p.Client.Cert, Key: p.Client.Key}.Config()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: b})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Request(ctx, serial, "JigStatus", nil)
	if err != nil {
		t.Fatal(err)
	}
	var st jigapi.Status
	if err := json.Unmarshal(r.Result, &st); err != nil {
		t.Fatalf("status %s: %v", r.Result, err)
	}
	return st
}

// TestTLSWrongCAFromConfigFile: a manager configured with a CA that did not
// sign the broker's certificate logs why it cannot connect, in words, and
// keeps trying; the password is in no log line.
func TestTLSWrongCAFromConfigFile(t *testing.T) {
	p, n := tlsBroker.Get(t)
	m := newTLSManager(t, fmt.Sprintf("  urls: [%q]\n%s", testpki.URL(n, testpki.ServerName, testpki.User, ""),
		tlsBlock(p.OtherCA, p.Client, "")))
	m.run(t, m.load(t), make(chan struct{}, 1))
	want := []string{"level=WARN msg=\"broker link down, reconnecting\"", "url=amqps://jigmq-tls-user:xxxxx@localhost:",
		"TLS handshake with localhost:", "x509: certificate signed by unknown authority", "check the CA file"}
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l := <-m.logs.lines:
			if containsAll(l, want) {
				return // the cleanup checks every line for the password
			}
		case <-deadline:
			t.Fatalf("no line with %q within 20s; logs:\n%s", want, m.logs.all.String())
		}
	}
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// lineWriter takes a text slog handler's output (one Write per record),
// keeps it all and hands each line to a test without ever blocking.
type lineWriter struct {
	all   testutil.SyncBuffer
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 256)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	select {
	case w.lines <- string(p):
	default:
	}
	return w.all.Write(p)
}
