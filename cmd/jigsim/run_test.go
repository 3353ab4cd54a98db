package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig"
)

type lockedBuffer = testutil.SyncBuffer

// TestRun plugs a board in through run, reads it with a jig.Device, and
// unplugs it by cancelling the context.
func TestRun(t *testing.T) {
	link := filepath.Join(t.TempDir(), "jigsim", "SIM-0001")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--link", link, "--state", "BUSY", "--delay", "1ms"}, &stdout, &stderr)
	}()

	waitStarted(t, link, &stdout, &stderr)
	d, err := jig.Open(jig.Config{Port: link}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	defer scancel()
	if st, err := d.Status(sctx); err != nil || st.State != "BUSY" || st.Identity != "JIGMQ,JigSim,SIM-0001,1.0" {
		t.Errorf("Status = %+v, %v", st, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
	if _, err := os.Lstat(link); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("link not removed: %v", err)
	}
	if !strings.Contains(stderr.String(), "board unplugged") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

func TestUsage(t *testing.T) {
	cases := []struct {
		args []string
		code int
		out  string // expected in stdout (help) or stderr
	}{
		{[]string{"-h"}, 0, "Examples:"},
		{nil, 2, "--link is required"},
		{[]string{"--link", "x", "--fault", "flaky"}, 2, "unknown fault"},
		{[]string{"--link", "x", "--delay", "-1s"}, 2, "must not be negative"},
		{[]string{"--link", "x", "extra"}, 2, "unexpected argument"},
		{[]string{"--nope"}, 2, "flag provided but not defined"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if got := exitCode(err); got != c.code {
			t.Errorf("%q: exit %d (%v), want %d", c.args, got, err, c.code)
		}
		if !strings.Contains(stdout.String()+stderr.String(), c.out) {
			t.Errorf("%q: output %q lacks %q", c.args, stdout.String()+stderr.String(), c.out)
		}
	}
}

func TestRunStartFails(t *testing.T) {
	// A link inside a regular file cannot be created: exit 1.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"--link", filepath.Join(file, "SIM")}, io.Discard, io.Discard)
	if exitCode(err) != 1 {
		t.Errorf("err = %v, exit %d", err, exitCode(err))
	}
}

// waitStarted waits (bounded) for run's startup line and checks it.
func waitStarted(t *testing.T, link string, stdout, stderr *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no startup line; stderr: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if out := stdout.String(); !strings.HasPrefix(out, "jigsim: /dev/pts/") || !strings.HasSuffix(out, " -> "+link+"\n") {
		t.Errorf("stdout = %q", out)
	}
}
