package main

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
)

type syncBuffer = testutil.SyncBuffer

func exitCode(err error) int {
	var ee *cli.ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestHelpAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, &out, &errb); err != nil {
		t.Fatalf("--help: %v", err)
	}
	if !strings.Contains(errb.String(), "Exit status") || !strings.Contains(errb.String(), "--config") {
		t.Fatalf("help text:\n%s", errb.String())
	}
	if code := exitCode(run(context.Background(), []string{"--bogus"}, &out, &errb)); code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
}

func TestBadConfigExits2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("serial: bad.serial\nfixture: {port: ''}\nfib: {max_n: -3}\n"), 0o600)
	err := run(context.Background(), []string{"--config", path}, &bytes.Buffer{}, &bytes.Buffer{})
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	for _, want := range []string{"serial", "fixture", "fib.max_n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

// TestURLFlagNamed: a bad --url is reported as the flag's, not under
// broker.urls, a key the user never wrote.
func TestURLFlagNamed(t *testing.T) {
	err := run(context.Background(), []string{"--serial", "JIG-1", "--port", "/dev/x", "--url", "notaurl"},
		&bytes.Buffer{}, &bytes.Buffer{})
	want := "configuration:\n--url: broker URL notaurl: AMQP scheme must be either 'amqp://' or 'amqps://'"
	if exitCode(err) != 2 || err.Error() != want {
		t.Fatalf("exit %d (%v), want 2 saying\n%s", exitCode(err), err, want)
	}
}

// TestServeSecondRefusedStop: a manager serves; a second one for the same
// serial exits 1 saying so; the first stops cleanly on cancel.
func TestServeSecondRefusedStop(t *testing.T) {
	serial := "CM-" + uuid.NewString()[:12]
	link := filepath.Join(t.TempDir(), "tty")
	board, err := sim.Start(link, sim.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer board.Close()
	args := []string{"--serial", serial, "--port", link}
	if u := os.Getenv("AMQP_URL"); u != "" {
		args = append(args, "--url", u)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, &bytes.Buffer{}, stderr) }()
	defer func() { cancel(); <-done }()
	waitServing(t, stderr)
	var errb bytes.Buffer
	err = run(context.Background(), args, &bytes.Buffer{}, &errb)
	if exitCode(err) != 1 || !errors.Is(err, mqmanager.ErrAlreadyServed) {
		t.Fatalf("second manager: exit %d, %v", exitCode(err), err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("first manager after stop: %v", err)
	}
	done <- nil
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Fatalf("no clean stop in logs:\n%s", stderr)
	}
}

// TestWrongPasswordExits1: a broker refusing the login is a manager that
// cannot serve (exit 1), whatever the password's text: one whose text is
// in the broker's reason ("a" in "Reason") once hid the refusal from the
// classification, and the manager retried forever. The log says the
// reason whole.
func TestWrongPasswordExits1(t *testing.T) {
	u, err := url.Parse(testutil.AMQPURL(mqmanager.DefaultURL))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(u.User.Username()) // the password comes from JIG_AMQP_PASSWORD
	for _, pw := range []string{"a", "e", "wrong", "broker"} {
		t.Setenv("JIG_AMQP_PASSWORD", pw)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var errb bytes.Buffer
		err := run(ctx, []string{"--serial", "PW-" + uuid.NewString()[:12], "--port", "/nonexistent/tty",
			"--url", u.String()}, &bytes.Buffer{}, &errb)
		cancel()
		if exitCode(err) != 1 || !strings.Contains(errb.String(), `msg="cannot serve"`) ||
			!strings.Contains(errb.String(), `login refused: Exception (403) Reason: \"username or password not allowed\"`) {
			t.Errorf("JIG_AMQP_PASSWORD=%s: exit %d (%v)\n%s", pw, exitCode(err), err, errb.String())
		}
	}
}
