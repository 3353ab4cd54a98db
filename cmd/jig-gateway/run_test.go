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
