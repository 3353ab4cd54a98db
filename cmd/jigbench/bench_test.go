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

func TestStatCPU(t *testing.T) {
	stat := "4242 (jig gate) (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0 1234 0 0"
	if got, err := statCPU(stat); err != nil || got != 1750*time.Millisecond {
		t.Errorf("statCPU = %v, %v; want 1.75s", got, err)
	}
	if _, err := statCPU("4242 jig-gateway S 1"); err == nil {
		t.Error("a line without a command name is accepted")
	}
	if _, err := procCPU(os.Getpid()); err != nil {
		t.Errorf("procCPU of this process: %v", err)
	}
}
