package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/cli"
)

// TestRunUsage: a bad flag or configuration is exit 2 with the reason;
// --version prints the version.
func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &errb); err != nil || !strings.Contains(out.String(), "jig-gateway") {
		t.Fatalf("--version: %v %q", err, out.String())
	}
	for _, args := range [][]string{{"--nope"}, {"--listen", "nonsense"}, {"--config", "/no/such/file"}} {
		err := run(context.Background(), args, &out, &errb)
		var ee *cli.ExitError
		if !errors.As(err, &ee) || ee.Code != 2 {
			t.Errorf("%v: want exit 2, got %v", args, err)
		}
	}
}
