package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds jigctl and runs it as a process: its output streams
// and exit status are the real ones.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "jigctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f := startFixture(t)
	cmd := exec.Command(bin, "status", f.serial)
	cmd.Env = append(cmd.Environ(), "JIGCTL_URL="+testURL())
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), f.serial+"\tREADY") {
		t.Errorf("jigctl status: %v\n%s", err, out)
	}

	cmd = exec.Command(bin, "ping", uniqueSerial())
	cmd.Env = append(cmd.Environ(), "JIGCTL_URL="+testURL())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitNoFixture || len(out) != 0 ||
		!strings.Contains(stderr.String(), "no fixture") {
		t.Errorf("jigctl ping (absent): %v, stdout %q, stderr %q", err, out, stderr.String())
	}
}
