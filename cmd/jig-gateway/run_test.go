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

// TestRepeatedKeyHidesNothing: a repeated key is reported, and so are the
// other problems of the file: yaml.v3 decoded nothing of a mapping with a
// key given twice, so jig-gateway validated its defaults in their place.
func TestRepeatedKeyHidesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gw.yaml")
	os.WriteFile(path, []byte("listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\nfleet: {max_streams: 0}\n"), 0o600)
	_, err := load(options{config: path}, func(string) string { return "" })
	want := "listen: repeated key, first at line 1 (line 2)\nfleet.max_streams: 0 is not between 1 and 10000"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

// TestTimeoutProblemsOnce: a max_timeout out of bounds is one problem, not
// also one of the timeout left at its default; a timeout beyond
// max_timeout says both values.
func TestTimeoutProblemsOnce(t *testing.T) {
	for api, want := range map[string]string{
		"{max_timeout: 0s}":               "api.max_timeout: 0s is not between 1ms and 10m0s",
		"{max_timeout: 1h, timeout: 2h}":  "api.max_timeout: 1h0m0s is not between 1ms and 10m0s\napi.timeout: 2h0m0s is not between 1ms and 10m0s",
		"{timeout: 45s}":                  "api.timeout: 45s is not between 1ms and max_timeout (30s)",
		"{timeout: 0s, max_timeout: 10s}": "api.timeout: 0s is not between 1ms and max_timeout (10s)",
	} {
		path := filepath.Join(t.TempDir(), "gw.yaml")
		os.WriteFile(path, []byte("api: "+api+"\n"), 0o600)
		if _, err := load(options{config: path}, func(string) string { return "" }); err == nil || err.Error() != want {
			t.Errorf("api: %s: got\n%v\nwant\n%s", api, err, want)
		}
	}
}

// TestURLProblemNamesItsSource: a bad AMQP_URL or --url is reported as
// the variable's or the flag's, not under broker.urls, a key the user
// never wrote.
func TestURLProblemNamesItsSource(t *testing.T) {
	env := func(k string) string { return map[string]string{"AMQP_URL": "notaurl"}[k] }
	const reason = ": broker URL notaurl: AMQP scheme must be either 'amqp://' or 'amqps://'"
	if _, err := load(options{}, env); err == nil || err.Error() != "AMQP_URL"+reason {
		t.Errorf("AMQP_URL: %v", err)
	}
	if _, err := load(options{url: "notaurl"}, func(string) string { return "" }); err == nil || err.Error() != "--url"+reason {
		t.Errorf("--url: %v", err)
	}
}
