package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

// jigctlSection times `jigctl status SERIAL` as a whole process against a
// jig-manager process on a jigsim board, against its budget measured in the
// same run: the exec floor (jigctl --help: process start, no broker) plus
// a bare amqp091-go dial and channel open in a fresh process (as jigctl
// pays it: its first connect, code and runtime not yet warm) plus 1.5 ms. With direct reply-to
// for information.
func jigctlSection(ctx context.Context, b *bench) error {
	f, err := b.fixture(ctx)
	if err != nil {
		return err
	}
	jigctl := filepath.Join(b.env.bin, "jigctl")
	status := []string{"--url", b.url, "status", f.serial}
	if _, err := timeCommand(ctx, 5, jigctl, status...); err != nil { // warm-up
		return err
	}
	r, err := timeCommand(ctx, b.iters(300, 10), jigctl, status...)
	if err != nil {
		return err
	}
	direct, err := timeCommand(ctx, b.iters(100, 5), jigctl, append([]string{"--reply", "direct"}, status...)...)
	if err != nil {
		return err
	}
	help, err := timeCommand(ctx, b.iters(100, 5), jigctl, "--help")
	if err != nil {
		return err
	}
	dc, err := dialChannel(ctx, b.url, b.iters(100, 5))
	if err != nil {
		return err
	}
	cold, err := coldDialChannel(ctx, b.url, b.iters(100, 5))
	if err != nil {
		return err
	}
	budget := ms(help.p50()) + ms(cold.dial.p50()) + 1.5
	sec := "jigctl"
	b.rep.add(row{section: sec, name: "status p50 (base: floor+dial+1.5ms)", value: ms(r.p50()), unit: "ms",
		base: budget, tgt: ratioAtMost(1)})
	b.rep.add(row{section: sec, name: "status p99", value: ms(r.p99()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "status --reply direct p50", value: ms(direct.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "--help p50 (exec floor)", value: ms(help.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "bare dial+channel p50, fresh process", value: ms(cold.dial.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "bare reply queue declare+consume p50", value: ms(cold.queue.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "bare close, queue deleted, p50", value: ms(cold.close.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "bare dial+channel p50, warm process", value: ms(dc.p50()), unit: "ms", tgt: none})
	b.rep.addLoad("Jigctl/Status", r)
	b.rep.addLoad("Jigctl/StatusDirect", direct)
	b.rep.addLoad("Jigctl/Help", help)
	b.rep.addLoad("Jigctl/BareDialChannel", cold.dial)
	b.rep.addLoad("Jigctl/BareDialChannelWarm", dc)
	return nil
}

// dialChannel times n bare amqp091-go connects with a channel open, the
// part of a jigctl run no client can skip (each closed untimed).
func dialChannel(ctx context.Context, url string, n int) (result, error) {
	var r result
	start := time.Now()
	for range n {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		t0 := time.Now()
		conn, err := amqp.Dial(url)
		if err != nil {
			return r, err
		}
		_, err = conn.Channel()
		r.lat = append(r.lat, time.Since(t0))
		conn.Close()
		if err != nil {
			return r, err
		}
	}
	r.wall = time.Since(start)
	return merge(r), nil
}

// rssSection reads a fresh jig-manager process's VmRSS idle, and its peak
// VmRSS while 64 callers keep Ping requests in flight.
func rssSection(ctx context.Context, b *bench) error {
	e, err := b.procs(ctx)
	if err != nil {
		return err
	}
	f, err := b.startFixture(ctx, e)
	if err != nil {
		return err
	}
	defer f.stop()
	pid := f.mgr.Process.Pid
	time.Sleep(500 * time.Millisecond) // let startup garbage settle
	idle, err := procStatus(pid, "VmRSS")
	if err != nil {
		return err
	}
	peak, n, err := b.rssUnderLoad(ctx, f.serial, pid)
	if err != nil {
		return err
	}
	hwm, err := procStatus(pid, "VmHWM")
	if err != nil {
		return err
	}
	mib := func(kb int) float64 { return float64(kb) / 1024 }
	sec := "rss"
	b.rep.add(row{section: sec, name: "manager idle VmRSS", value: mib(idle), unit: "MiB", tgt: below(12, "MiB")}) // issue 16
	b.rep.add(row{section: sec, name: "manager 64inflight VmRSS", value: mib(peak), unit: "MiB", tgt: below(40, "MiB")})
	b.rep.add(row{section: sec, name: "manager VmHWM at end", value: mib(hwm), unit: "MiB", tgt: none})
	b.rep.addBench("ManagerRSS/idle", 1, fmt.Sprint(idle*1024), "rss-B")
	b.rep.addBench("ManagerRSS/64inflight", n, fmt.Sprint(peak*1024), "rss-B")
	return nil
}

// rssUnderLoad drives 64 Ping requests in flight (direct reply-to) and
// samples the manager's VmRSS every 10 ms; it returns the largest sample.
func (b *bench) rssUnderLoad(ctx context.Context, serial string, pid int) (peakKB, n int, err error) {
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	var mu sync.Mutex
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := procStatus(pid, "VmRSS"); err == nil {
				mu.Lock()
				peakKB = max(peakKB, kb)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	r, err := drive(ctx, b.iters(20000, 300), 64, withTimeout(requestTimeout, func(ctx context.Context) error {
		_, err := c.Ping(ctx, serial)
		return err
	}))
	close(stop)
	<-sampled
	return peakKB, r.n(), err
}
