package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

// procEnv holds the binaries built for this run and the process fixture
// (jigsim and jig-manager as separate processes) the sections share.
type procEnv struct {
	bin     string
	shared  *procFixture
	started []*procFixture
}

// procs builds jigctl, jig-manager, jigsim, jig-gateway and barefront (the
// gateway section's floor) into the scratch directory on first use, as
// deploy/package/build-deb.sh builds what is shipped (static, no cgo,
// stripped): a process's start time and resident memory are those of the
// binaries a floor runs. A cgo build maps libc and the dynamic loader too:
// 1.4 MiB more of jig-manager's idle RSS.
func (b *bench) procs(ctx context.Context) (*procEnv, error) {
	if b.env != nil {
		return b.env, nil
	}
	e := &procEnv{bin: filepath.Join(b.tmp, "bin")}
	const mod = "github.com/jigmq/jigmq/cmd/"
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", e.bin+"/",
		mod+"jigctl", mod+"jig-manager", mod+"jigsim", mod+"jig-gateway", mod+"jigbench/barefront")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	b.env = e
	return e, nil
}

func (e *procEnv) close() {
	for _, f := range e.started {
		f.stop()
	}
}

// procFixture is a jigsim board and a jig-manager serving it, each its own
// process, as on a fixture PC.
type procFixture struct {
	serial   string
	sim, mgr *exec.Cmd
}

// fixture returns the shared process fixture, starting it on first use.
func (b *bench) fixture(ctx context.Context) (*procFixture, error) {
	e, err := b.procs(ctx)
	if err != nil {
		return nil, err
	}
	if e.shared == nil {
		e.shared, err = b.startFixture(ctx, e)
	}
	return e.shared, err
}

// startFixture starts a fresh jigsim and jig-manager and waits until the
// manager answers a Ping.
func (b *bench) startFixture(ctx context.Context, e *procEnv) (*procFixture, error) {
	f := &procFixture{serial: b.serial("P")}
	link := filepath.Join(b.tmp, f.serial)
	logf, err := os.Create(filepath.Join(b.tmp, f.serial+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	f.sim = exec.Command(filepath.Join(e.bin, "jigsim"), "--link", link)
	f.sim.Stdout, f.sim.Stderr = logf, logf
	if err := f.sim.Start(); err != nil {
		return nil, err
	}
	e.started = append(e.started, f)
	f.mgr = exec.Command(filepath.Join(e.bin, "jig-manager"), "--serial", f.serial, "--port", link, "--url", b.url)
	f.mgr.Stdout, f.mgr.Stderr = logf, logf
	if err := f.mgr.Start(); err != nil {
		return nil, err
	}
	if err := b.waitServed(ctx, f.serial); err != nil {
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%w; its log:\n%s", err, log)
	}
	return f, nil
}

// waitServed pings serial until its manager answers, at most 15 s.
func (b *bench) waitServed(ctx context.Context, serial string) error {
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return err
	}
	defer c.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.Ping(rctx, serial)
		cancel()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop stops the manager, then unplugs the board (SIGTERM, then waits).
func (f *procFixture) stop() {
	for _, c := range []*exec.Cmd{f.mgr, f.sim} {
		stopProcess(c)
	}
}

// stopProcess ends a started process: SIGTERM, then SIGKILL after 10 s;
// it waits for it. A process not started or already waited for is left.
func stopProcess(c *exec.Cmd) {
	if c == nil || c.Process == nil || c.ProcessState != nil {
		return
	}
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
	}
}

// procStatus reads a field of /proc/<pid>/status in kB (VmRSS, VmHWM).
func procStatus(pid int, field string) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, rest, ok := strings.Cut(sc.Text(), ":"); ok && name == field {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New(field + " not in /proc/<pid>/status")
}

// timeCommand runs the command n times and returns the latency of each run
// (fork, exec, everything the program does, exit). A non-zero exit fails.
func timeCommand(ctx context.Context, n int, name string, args ...string) (result, error) {
	return drive(ctx, n, 1, func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
		return nil
	})
}
