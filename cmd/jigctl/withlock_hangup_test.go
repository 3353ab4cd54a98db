package main

import (
	"io"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
)

var quitLine = regexp.MustCompile(`QUIT \d+`)

// TestWithLockCtrlBackslash: Ctrl-\ in the terminal where with-lock runs
// in the foreground reaches the command once, from the kernel, and does
// not end jigctl (Go's default for SIGQUIT is a stack dump and exit 2,
// which left the command running without its lease being released): the
// command ends when it will, and the lease is released after it.
func TestWithLockCtrlBackslash(t *testing.T) {
	f := startFixture(t)
	master, slave := openTestPTY(t)
	r := startSigRun(t, f.serial, func(cmd *exec.Cmd, out *syncBuffer) {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
		go io.Copy(out, master)
	})
	r.stop(t) // as in TestWithLockCtrlC: one copy pending at a time
	if _, err := master.Write([]byte("\x1c")); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &r.out, "QUIT 1", r.done)
	r.signal(t, syscall.SIGCONT)
	r.waitTaken(t, syscall.SIGQUIT)
	r.signal(t, syscall.SIGTERM)
	r.count(t) // with-lock exits with the command's 7, after it
	if n := len(quitLine.FindAllString(r.out.String(), -1)); n != 1 {
		t.Fatalf("one ^\\, the command got %d SIGQUITs; output:\n%s", n, r.out.String())
	}
	if h := holder(t, f); h != nil {
		t.Fatalf("lease still held after the command ended: %+v", h)
	}
}

// TestWithLockHangup: the terminal of with-lock (its session's leader)
// hangs up. jigctl does not die of the SIGHUP (it did, leaving the lease
// to expire while the command ran on without it), and does not forward it
// (a hangup reaches a command in its process group from the shell or the
// kernel): it keeps the lease while the command runs, and releases it
// once the command has ended.
func TestWithLockHangup(t *testing.T) {
	f := startFixture(t)
	master, slave := openTestPTY(t)
	r := startSigRun(t, f.serial, func(cmd *exec.Cmd, out *syncBuffer) {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, out, out // the output outlives the terminal
		cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0
	})
	if err := master.Close(); err != nil { // the hangup
		t.Fatal(err)
	}
	r.waitTaken(t, syscall.SIGHUP)
	select {
	case err := <-r.done:
		r.ended = true
		t.Fatalf("with-lock ended at the hangup, its command running: %v; output:\n%s", err, r.out.String())
	default:
	}
	if h := holder(t, f); h == nil {
		t.Fatal("lease released while the command runs")
	}
	r.signal(t, syscall.SIGTERM)
	if n := r.count(t); n != 0 {
		t.Fatalf("the command got %d SIGINTs; output:\n%s", n, r.out.String())
	}
	if h := holder(t, f); h != nil {
		t.Fatalf("lease still held after the command ended: %+v", h)
	}
}
