package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU per request is the figure that survives a busy machine: throughput
// and latency move with whatever else runs, but the CPU time a request
// costs this process and the broker moves much less. Each load run in an
// rpc section records both, so that a ratio to the baseline says which side
// an overhead is on even when the throughput figures are noise.

// cpuMeter reads this process's CPU time and the broker's.
type cpuMeter struct {
	brokerPID int // 0: the broker's process was not found (its CPU is not reported)
}

// cpuSample is the CPU time used so far by this process and by the broker.
type cpuSample struct{ self, broker time.Duration }

func (m *cpuMeter) sample() cpuSample {
	if m == nil {
		return cpuSample{}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := cpuSample{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if m.brokerPID != 0 {
		s.broker, _ = procCPU(m.brokerPID)
	}
	return s
}

func (s cpuSample) sub(o cpuSample) cpuSample { return cpuSample{s.self - o.self, s.broker - o.broker} }

// newCPUMeter finds the broker as the process that holds the listening
// socket of amqpURL's port on this machine (the broker on loopback).
func newCPUMeter(amqpURL string) *cpuMeter {
	u, err := url.Parse(amqpURL)
	if err != nil {
		return &cpuMeter{}
	}
	port := u.Port()
	if port == "" {
		port = "5672"
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return &cpuMeter{}
	}
	return &cpuMeter{brokerPID: listenerPID(p)}
}

// listenerPID is the pid of the process with a socket listening on port,
// from /proc/net/tcp{,6} and /proc/<pid>/fd; 0 if none is found.
func listenerPID(port int) int {
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			fs := strings.Fields(line)
			// local_address is addr:PORT in hex; state 0A is LISTEN.
			if len(fs) > 9 && fs[3] == "0A" && strings.HasSuffix(fs[1], fmt.Sprintf(":%04X", port)) {
				inodes["socket:["+fs[9]+"]"] = true
			}
		}
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && inodes[link] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid
		}
	}
	return 0
}
