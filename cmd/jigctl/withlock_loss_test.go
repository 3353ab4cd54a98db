package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/manager"
)

// heldChild is a with-lock run whose command prints "started" and then
// waits for the test's release (a line on a FIFO the command holds open).
type heldChild struct {
	fifo           string
	stdout, stderr syncBuffer
	done           chan int
}

// startHeld runs jigctl with-lock SERIAL flags... -- (the held command),
// and returns once the command has started.
func startHeld(t *testing.T, serial string, flags ...string) *heldChild {
	t.Helper()
	h := &heldChild{fifo: filepath.Join(t.TempDir(), "release"), done: make(chan int, 1)}
	if err := syscall.Mkfifo(h.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--url", testURL(), "with-lock", serial, "--owner", "ci"}, flags...)
	args = append(args, "--", "sh", "-c", `exec 3<>"$0"; echo started; read x <&3`, h.fifo)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	go func() {
		err := run(ctx, args, &h.stdout, &h.stderr)
		h.done <- cli.Finish("jigctl", err, &h.stderr)
	}()
	waitOutput(t, &h.stdout, "started", nil)
	return h
}

// release lets the command end (exit 0) and returns with-lock's status.
func (h *heldChild) release(t *testing.T) int {
	t.Helper()
	w, err := os.OpenFile(h.fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("the command is gone: %v; stderr:\n%s", err, h.stderr.String())
	}
	w.Write([]byte("go\n"))
	w.Close()
	return h.wait(t)
}

func (h *heldChild) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-h.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("with-lock did not end; stderr:\n%s", h.stderr.String())
		return 0
	}
}

// TestWithLockRidesOutRestart is the tester's case: --ttl 9s, the manager
// down from just after the lock until 6.6 s after it (the report's 2.5 s
// then 4.1 s), then back with the lease from its state file (2.4 s left).
// Renewing only at 3 s, 6 s and 9 s, with-lock's next try came at the
// expiry (not_locked); retrying after a failure, it renews in time, keeps
// the lease, and releases it when the command ends.
func TestWithLockRidesOutRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "lease.json")
	f := startFixtureWith(t, uniqueSerial(), func(c *manager.Config) { c.Lease.StateFile = state })
	h := startHeld(t, f.serial, "--ttl", "9s")
	locked := time.Now()
	f.stop()
	waitOutput(t, &h.stderr, "\trenew ", nil)
	// The outage's length is the scenario, not a synchronisation.
	time.Sleep(time.Until(locked.Add(6600 * time.Millisecond)))
	f.startManager(t, f.cfg)
	waitOutput(t, &h.stderr, "renewed after", nil)
	if hd := holder(t, f); hd == nil || hd.Owner != "ci" {
		t.Fatalf("holder after the restart: %+v; stderr:\n%s", hd, h.stderr.String())
	}
	if code := h.release(t); code != 0 || strings.Contains(h.stderr.String(), "lost") ||
		strings.Contains(h.stderr.String(), "unlock") {
		t.Fatalf("exit %d; stderr:\n%s", code, h.stderr.String())
	}
	if hd := holder(t, f); hd != nil {
		t.Fatalf("lease still held after the command ended: %+v", hd)
	}
}

// TestWithLockLossTold: a lease lost while the command runs is on stderr
// at once, naming the moment: when the manager says it no longer holds
// it (a forced unlock), the command runs on, and its exit 0 becomes 124
// (not a success: the fixture was not held throughout); when it expires
// unrenewed (the manager gone), --stop-on-loss sends the command SIGTERM.
func TestWithLockLossTold(t *testing.T) {
	t.Run("forced", func(t *testing.T) {
		f := startFixtureWith(t, uniqueSerial(), nil)
		h := startHeld(t, f.serial, "--ttl", "3s")
		wantCode(t, 0, "unlock", f.serial, "--force")
		waitOutput(t, &h.stderr, "\tlease lost at ", nil)
		if !strings.Contains(h.stderr.String(), "renew error_reply: not_locked") ||
			!strings.Contains(h.stderr.String(), "the command runs on without it") {
			t.Fatalf("stderr:\n%s", h.stderr.String())
		}
		if code := h.release(t); code != exitLeaseLost || strings.Contains(h.stderr.String(), "unlock") {
			t.Fatalf("exit %d, want %d (the command's 0 after the loss); stderr:\n%s", code, exitLeaseLost, h.stderr.String())
		}
	})
	t.Run("forced, told by the release", func(t *testing.T) { // no renew before the command ends
		f := startFixtureWith(t, uniqueSerial(), nil)
		h := startHeld(t, f.serial, "--ttl", "60s")
		wantCode(t, 0, "unlock", f.serial, "--force")
		if code := h.release(t); code != exitLeaseLost ||
			!strings.Contains(h.stderr.String(), "lease lost before the command ended: unlock error_reply: not_locked") {
			t.Fatalf("exit %d, want %d (the command's 0 after the loss); stderr:\n%s", code, exitLeaseLost, h.stderr.String())
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := startFixtureWith(t, uniqueSerial(), nil)
		h := startHeld(t, f.serial, "--ttl", "3s", "--stop-on-loss")
		f.stop()
		if code := h.wait(t); code != 128+int(syscall.SIGTERM) {
			t.Fatalf("exit %d, want 143; stderr:\n%s", code, h.stderr.String())
		}
		if errOut := h.stderr.String(); !strings.Contains(errOut, "\tlease lost at ") ||
			!strings.Contains(errOut, "no renew succeeded before its expiry") ||
			!strings.Contains(errOut, "sending the command SIGTERM") {
			t.Fatalf("stderr:\n%s", errOut)
		}
	})
}
