package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// gatewayProc is a jig-gateway process (or barefront, its floor) on a
// loopback port of its own.
type gatewayProc struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
}

// startGateway builds and starts jig-gateway on 127.0.0.1:0, reads its
// address from its stdout, and waits until it answers a status read of
// serial (it has reached the broker).
func (b *bench) startGateway(ctx context.Context, serial string) (*gatewayProc, error) {
	return b.startFront(ctx, "jig-gateway", serial)
}

// startFront starts the built command name (jig-gateway or barefront) on
// 127.0.0.1:0, reads its address from its stdout, and waits until it
// answers a status read of serial.
func (b *bench) startFront(ctx context.Context, name, serial string) (*gatewayProc, error) {
	e, err := b.procs(ctx)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(b.tmp, name+".out")
	logf, err := os.Create(filepath.Join(b.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	outf, err := os.Create(out)
	if err != nil {
		return nil, err
	}
	defer outf.Close()
	g := &gatewayProc{cmd: exec.Command(filepath.Join(e.bin, name), "--listen", "127.0.0.1:0", "--url", b.url)}
	g.cmd.Stdout, g.cmd.Stderr = outf, logf
	if err := g.cmd.Start(); err != nil {
		return nil, err
	}
	if g.base, err = awaitAddress(ctx, out); err == nil {
		err = awaitGateway(ctx, g.base, serial)
	}
	if err != nil {
		g.stop()
		log, _ := os.ReadFile(logf.Name())
		return nil, fmt.Errorf("%s: %w; its log:\n%s", name, err, log)
	}
	return g, nil
}

// awaitAddress polls the process's stdout for " at http://ADDR/" (jig-gateway
// prints "dashboard at", barefront "serving at"), at most 10 s.
func awaitAddress(ctx context.Context, path string) (string, error) {
	const marker = " at http://"
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		data, _ := os.ReadFile(path)
		if _, rest, ok := strings.Cut(string(data), marker); ok {
			if addr, _, ok := strings.Cut(rest, "\n"); ok {
				return "http://" + strings.TrimSuffix(addr, "/"), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "", errors.New("no address on its stdout within 10s")
}

func (g *gatewayProc) pid() int { return g.cmd.Process.Pid }

// stop ends the gateway: SIGTERM, then SIGKILL after 10 s; waits for it.
func (g *gatewayProc) stop() { stopProcess(g.cmd) }

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU is the process's CPU time so far, user plus system, from
// /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return statCPU(string(data))
}

// statCPU is utime plus stime (fields 14 and 15) of a /proc/<pid>/stat line.
func statCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return 0, errors.New("/proc/<pid>/stat: no command name")
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, errors.New("/proc/<pid>/stat: too few fields")
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * clockTick, nil
}
