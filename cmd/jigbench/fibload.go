package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

// The Fib load of status/under-fib stands for other stations asking the
// manager for Fib(10^6): on the floor their callers run on their own PCs.
// Here they share the two cores with the manager, the board's simulator and
// the broker, and decoding 209 KB replies dozens of times a second is CPU
// work of its own, which delays a status read as much as the manager's
// compute would. They run in a process of their own (jigbench run with
// fibLoadEnv set), at the same priority as everything else: then at least
// their decoding does not compete, inside jigbench's Go runtime, with the
// goroutines that time the status reads.

// fibLoadEnv, set to "URL SERIAL CALLERS", makes jigbench a Fib load: it
// keeps CALLERS Fib(10^6) requests to SERIAL in flight until its stdin
// closes, then prints how many it completed.
const fibLoadEnv = "JIGBENCH_FIB_LOAD"

// fibLoadProcess is the load's whole run.
func fibLoadProcess(spec string, stdin io.Reader, stdout io.Writer) error {
	f := strings.Fields(spec)
	if len(f) != 3 {
		return fmt.Errorf("%s=%q: want URL SERIAL CALLERS", fibLoadEnv, spec)
	}
	k, err := strconv.Atoi(f[2])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{f[0]}},
		ReplyMode: mqmanager.ReplyDirect, AppID: "jigbench-fibload"})
	if err != nil {
		return err
	}
	defer c.Close()
	stop := background(ctx, k, withTimeout(30*time.Second, func(ctx context.Context) error {
		_, err := c.Fib(ctx, f[1], 1_000_000)
		return err
	}))
	fmt.Fprintln(stdout, "started")
	io.Copy(io.Discard, stdin) // until the parent closes it
	done, err := stop()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, done)
	return err
}

// fibLoad is a running Fib load process.
type fibLoad struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	start time.Time
}

// startFibLoad starts k Fib callers to serial in a process of their own
// and returns once their first requests are on their way.
func startFibLoad(ctx context.Context, url, serial string, k int) (*fibLoad, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	l := &fibLoad{cmd: exec.CommandContext(ctx, self)}
	l.cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", fibLoadEnv, url, serial, k))
	l.cmd.Stderr = os.Stderr
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	l.out = bufio.NewReader(stdout)
	if err := l.cmd.Start(); err != nil {
		return nil, err
	}
	l.start = time.Now()
	if line, err := l.out.ReadString('\n'); err != nil || line != "started\n" {
		l.cmd.Process.Kill()
		l.cmd.Wait()
		return nil, fmt.Errorf("fib load: %q, %v", line, err)
	}
	return l, nil
}

// stop ends the load and gives its completed requests per second.
func (l *fibLoad) stop() (float64, error) {
	l.stdin.Close()
	line, rerr := l.out.ReadString('\n')
	elapsed := time.Since(l.start)
	if err := l.cmd.Wait(); err != nil {
		return 0, fmt.Errorf("fib load: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("fib load printed %q: %v", line, errors.Join(err, rerr))
	}
	return float64(n) / elapsed.Seconds(), nil
}
