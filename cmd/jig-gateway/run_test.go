package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
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

// TestRunConfigProblemsAtOnce: a listen port that is not one and HTTPS
// files that do not load are configuration problems, exit 2 before
// anything is served or printed, each with its key path, together with
// the file's other problems. (They used to fail at start, exit 1, the
// files after "dashboard at" was printed, with no key path.)
func TestRunConfigProblemsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	yaml := "listen: 127.0.0.1:notaport\ntls_cert: /no/cert.pem\ntls_key: /no/key.pem\nfleet: {max_fixtures: 0}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"--config", path}, &out, &errb)
	var ee *cli.ExitError
	if !errors.As(err, &ee) || ee.Code != 2 {
		t.Fatalf("want exit 2, got %v", err)
	}
	for _, key := range []string{"\nlisten: ", "\ntls_cert: ", "\ntls_key: ", "\nfleet.max_fixtures: "} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("the error does not name %q:\n%v", strings.TrimSpace(key), err)
		}
	}
	if out.Len() > 0 {
		t.Errorf("printed on stdout before refusing its configuration: %q", out.String())
	}
}
