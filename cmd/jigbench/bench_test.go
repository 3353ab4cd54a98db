package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// TestQuick runs the tool's cheapest broker section in --quick mode and
// checks that it prints a table and benchstat lines. Numbers are never
// asserted: they depend on the machine.
func TestQuick(t *testing.T) {
	if testutil.BrokerUp() != nil && os.Getenv("CI") == "" {
		t.Skip("no broker on AMQP_URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"--quick", "--only", "^nofixture$"}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, errOut.String())
	}
	for _, want := range []string{"nofixture", "per-request p99", "< 5 ms", "PASS, ", "BenchmarkNoFixture/Direct-"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "PASS") && !strings.Contains(out.String(), "MISS") {
		t.Errorf("no verdict in the output:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"--only", "("}, &out, &errOut); err == nil {
		t.Error("a bad --only regexp is accepted")
	}
	if err := run(context.Background(), []string{"--only", "^nothing$"}, &out, &errOut); err == nil ||
		!strings.Contains(err.Error(), "matches no section") {
		t.Errorf("an --only that matches nothing: %v", err)
	}
	if err := run(context.Background(), []string{"--help"}, &out, &errOut); err != nil ||
		!strings.Contains(errOut.String(), "rpc/direct") {
		t.Errorf("--help: %v\n%s", err, errOut.String())
	}
}

func TestBenchName(t *testing.T) {
	for in, want := range map[string]string{"rpc/per-request": "RPC/PerRequest", "direct": "Direct", "rpc/shared": "RPC/Shared", "bare->manager": "BareToManager"} {
		if got := benchName(in); got != want {
			t.Errorf("benchName(%q) = %q, want %q", in, got, want)
		}
	}
}
