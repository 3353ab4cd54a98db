package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// sigScript is with-lock's command in the signal tests. It counts the
// SIGINTs it gets, printing "INT N" for each (and "QUIT N" for SIGQUITs), until a SIGTERM, after
// which it prints "TERM after N." and exits 7. It waits in the wait
// builtin, for a sleep in the background, which ignores SIGINT as every
// background command of a script does; that sleep's shell says "ready"
// once it ignores it. dash may run a trap and go on waiting, so the
// SIGTERM's trap ends the wait by killing the sleep; a SIGINT that came
// while a trap ran is counted before N is printed.
const sigScript = `n=0 q=0 stop=
trap 'n=$((n+1)); echo "INT $n"' INT
trap 'q=$((q+1)); echo "QUIT $q"' QUIT
trap 'stop=1; kill $!' TERM
{ echo ready; exec sleep 600 >/dev/null 2>&1; } </dev/null &
while [ -z "$stop" ] && kill -0 $! 2>/dev/null; do wait $! 2>/dev/null; done
[ -n "$stop" ] || exit 9
echo "TERM after $n."
exit 7`

var (
	termAfter = regexp.MustCompile(`TERM after (\d+)\.`)
	intLine   = regexp.MustCompile(`INT \d+`)
	shdPnd    = regexp.MustCompile(`(?m)^ShdPnd:\s*([0-9a-f]+)$`) // /proc/PID/status: the process's pending signals
)

// TestWithLockCtrlC: Ctrl-C in the terminal where with-lock runs in the
// foreground reaches the command once (from the kernel), not twice
// (jigctl forwarding its own copy as well). jigctl runs in a session of
// its own whose controlling terminal is a pseudo-terminal; ^C is written
// to its master.
//
// jigctl is stopped while the ^C is delivered: a SIGINT it forwarded
// could otherwise reach the command while the kernel's is still pending
// there, and two pending SIGINTs are one. It is sent SIGTERM only once it
// has taken its SIGINT, so it forwards the one (if it does) before the
// other.
func TestWithLockCtrlC(t *testing.T) {
	f := startFixture(t)
	master, slave := openTestPTY(t)
	r := startSigRun(t, f.serial, func(cmd *exec.Cmd, out *syncBuffer) {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
		cmd.SysProcAttr.Setctty, cmd.SysProcAttr.Ctty = true, 0 // the child's stdin
		go io.Copy(out, master)                                 // ends when the master is closed
	})
	r.stop(t)
	if _, err := master.Write([]byte("\x03")); err != nil {
		t.Fatal(err)
	}
	waitOutput(t, &r.out, "INT 1", r.done)
	r.signal(t, syscall.SIGCONT)
	r.waitTaken(t, syscall.SIGINT)
	r.signal(t, syscall.SIGTERM)
	if n := r.count(t); n != 1 {
		t.Fatalf("one ^C, the command got %d SIGINTs; output:\n%s", n, r.out.String())
	}
	if h := holder(t, f); h != nil {
		t.Fatalf("lease still held after the command ended: %+v", h)
	}
}

// TestWithLockKillINT: a SIGINT sent to jigctl alone, with no terminal
// (so none could have reached the command), is forwarded to the command,
// once, and the lease is released when the command ends.
func TestWithLockKillINT(t *testing.T) {
	f := startFixture(t)
	r := startSigRun(t, f.serial, func(cmd *exec.Cmd, out *syncBuffer) {
		cmd.Stdout, cmd.Stderr = out, out
	})
	r.signal(t, syscall.SIGINT)
	waitOutput(t, &r.out, "INT 1", r.done)
	r.signal(t, syscall.SIGTERM) // the SIGINT forwarded: the command counted it
	if n := r.count(t); n != 1 {
		t.Fatalf("one SIGINT to jigctl, the command got %d; output:\n%s", n, r.out.String())
	}
	if h := holder(t, f); h != nil {
		t.Fatalf("lease still held after the command ended: %+v", h)
	}
}

// sigRun is the jigctl binary running with-lock SERIAL -- sh -c sigScript
// in a session of its own (so no terminal of the test's), its output in out.
type sigRun struct {
	cmd   *exec.Cmd
	out   syncBuffer
	done  chan error // cmd.Wait's
	ended bool
}

// startSigRun starts the run, with attach setting its standard files and
// terminal, and returns once the command is ready. The session's process
// group is killed at the end of the test if it has not ended by then.
func startSigRun(t *testing.T, serial string, attach func(*exec.Cmd, *syncBuffer)) *sigRun {
	t.Helper()
	r := &sigRun{done: make(chan error, 1)}
	r.cmd = exec.Command(buildJigctl(t), "--url", testURL(), "with-lock", serial, "--owner", "ci",
		"--", "sh", "-c", sigScript)
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	attach(r.cmd, &r.out)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !r.ended {
			syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL) // jigctl leads the group: it and the command
		}
	})
	go func() { r.done <- r.cmd.Wait() }()
	waitOutput(t, &r.out, "ready", r.done)
	return r
}

// signal sends jigctl (alone) sig.
func (r *sigRun) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(r.cmd.Process.Pid, sig); err != nil {
		t.Fatalf("kill -%d jigctl: %v", sig, err)
	}
}

// stop stops jigctl and waits until it has (SIGSTOP takes effect only
// when jigctl's threads next handle their signals).
func (r *sigRun) stop(t *testing.T) {
	t.Helper()
	r.signal(t, syscall.SIGSTOP)
	stopped := make(chan error, 1)
	go func() {
		var info unix.Siginfo
		stopped <- unix.Waitid(unix.P_PID, r.cmd.Process.Pid, &info, unix.WSTOPPED, nil)
	}()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("waiting for jigctl to stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("jigctl not stopped 10s after SIGSTOP")
	}
}

// count waits until the command, sent SIGTERM, has said how many SIGINTs
// it got and with-lock has exited with its status 7, and returns that
// number, or, if more, how many "INT N" lines it printed (a SIGINT that
// came after the SIGTERM).
func (r *sigRun) count(t *testing.T) int {
	t.Helper()
	waitFor(t, &r.out, r.done, "TERM after N.", termAfter.MatchString)
	var err error
	select {
	case err = <-r.done:
		r.ended = true
	case <-time.After(20 * time.Second):
		t.Fatalf("with-lock still running 20s after its command ended; output:\n%s", r.out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 7 {
		t.Fatalf("with-lock: %v, want exit status 7; output:\n%s", err, r.out.String())
	}
	out := r.out.String()
	n, _ := strconv.Atoi(termAfter.FindStringSubmatch(out)[1])
	return max(n, len(intLine.FindAllString(out, -1)))
}

// waitTaken waits until jigctl, continued after a stop, has taken sig
// from its pending signals (the kernel has handed it to one of its
// threads, whose handler passes it on at once). Nothing tells of that:
// the pending set in /proc is read every millisecond, for at most 10 s.
func (r *sigRun) waitTaken(t *testing.T, sig syscall.Signal) {
	t.Helper()
	status := fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(status)
		if err != nil {
			t.Fatal(err)
		}
		m := shdPnd.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no ShdPnd in %s:\n%s", status, b)
		}
		if pending, _ := strconv.ParseUint(string(m[1]), 16, 64); pending&(1<<(sig-1)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("jigctl has not taken signal %d 10s after it was continued", sig)
		}
	}
}

// openTestPTY opens a pseudo-terminal pair (as jig/sim does), leaving the
// line discipline as the kernel makes it but for making sure ^C is SIGINT
// to the terminal's foreground process group. The master is non-blocking,
// so closing it, at the end of the test, ends a read.
func openTestPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty (TIOCSPTLCK): %v", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number (TIOCGPTN): %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slave.Close() })
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err == nil {
		tio.Lflag |= unix.ISIG
		tio.Cc[unix.VINTR] = 3 // ^C
		err = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio)
	}
	if err != nil {
		t.Fatalf("terminal settings: %v", err)
	}
	return master, slave
}

// buildJigctl builds the jigctl binary into the test's temporary
// directory and returns its path.
func buildJigctl(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "jigctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
