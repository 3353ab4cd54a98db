package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// fixtureReads asks the manager's Stats for its board read counters.
func fixtureReads(ctx context.Context, c *mqmanager.Client, serial string) (jigapi.FixtureStats, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	st, err := c.Stats(ctx, serial)
	return st.Fixture, err
}

// statusCall asks for JigStatus; with sink set (sequential use only), it
// also keeps the manager's handling time (elapsed_ms) of every reply, so
// it reads the reply's envelope (Client.Request) rather than only its
// result.
func statusCall(c *mqmanager.Client, serial string, sink *[]managerSide) func(context.Context) error {
	return withTimeout(requestTimeout, func(ctx context.Context) error {
		r, err := c.Request(ctx, serial, jigapi.JigStatus.Name(), jigapi.NoArgs{})
		if err == nil && sink != nil {
			var st jigapi.Status
			json.Unmarshal(r.Result, &st)
			*sink = append(*sink, managerSide{elapsed: msDuration(r.ElapsedMS), read: msDuration(st.ReadMS)})
		}
		return err
	})
}

// managerSide is what a status reply says of its time in the manager: its
// whole handling (elapsed_ms) and the board read within it (read_ms).
type managerSide struct{ elapsed, read time.Duration }

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// split gives the handling times and the board read times of ms.
func split(ms []managerSide) (elapsed, read result) {
	for _, m := range ms {
		elapsed.lat = append(elapsed.lat, m.elapsed)
		read.lat = append(read.lat, m.read)
	}
	return merge(elapsed), merge(read)
}

// coalesceSection drives JigStatus with 64 callers in flight on one board
// (a jig-manager process on a jigsim board) and counts the board reads that
// served them: concurrent requests share the read in flight.
func coalesceSection(ctx context.Context, b *bench) error {
	f, err := b.fixture(ctx)
	if err != nil {
		return err
	}
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return err
	}
	defer c.Close()
	call := statusCall(c, f.serial, nil)
	if _, err := drive(ctx, 64, 64, call); err != nil { // warm-up
		return err
	}
	before, err := fixtureReads(ctx, c, f.serial)
	if err != nil {
		return err
	}
	r, err := drive(ctx, b.iters(4000, 128), 64, call)
	if err != nil {
		return err
	}
	after, err := fixtureReads(ctx, c, f.serial)
	if err != nil {
		return err
	}
	reads := float64(after.Reads - before.Reads)
	sec := "status/coalesce"
	coalesced := target{desc: "> 1 (coalesced)", ok: func(v, _ float64) bool { return v > 1 }}
	b.rep.add(row{section: sec, name: "JigStatus 64inflight thrpt", value: r.rps(), unit: "req/s", tgt: none})
	b.rep.add(row{section: sec, name: "JigStatus 64inflight p50", value: ms(r.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "requests", value: float64(r.n()), unit: "count", tgt: none})
	b.rep.add(row{section: sec, name: "board reads", value: reads, unit: "count", tgt: none})
	b.rep.add(row{section: sec, name: "requests per board read", value: float64(r.n()) / max(reads, 1), unit: "x", tgt: coalesced})
	b.rep.addLoad("JigStatus/64inflight", r)
	return nil
}

// underFibSection compares JigStatus latency on an idle manager with its
// latency while Fib(1,000,000) requests keep the manager's CPUs busy, and,
// as the control, while the same requests keep another manager on this
// machine busy: the machine's load is the same, the manager asked for its
// status computes nothing. What the first adds to the second is the
// manager's own cost of its compute.
func underFibSection(ctx context.Context, b *bench) error {
	f, err := b.fixture(ctx)
	if err != nil {
		return err
	}
	e, err := b.procs(ctx)
	if err != nil {
		return err
	}
	other, err := b.startFixture(ctx, e)
	if err != nil {
		return err
	}
	defer other.stop() // the control's manager, not left running through the later sections
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return err
	}
	defer c.Close()
	var u underFib
	n := b.iters(2000, 20)                          // a p99 of 400 reads is their 4th slowest: one scheduler hiccup moved it 2x
	drive(ctx, 20, 1, statusCall(c, f.serial, nil)) // warm-up
	if u.idle, err = drive(ctx, n, 1, statusCall(c, f.serial, &u.idleMgr)); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	if u.busy, u.fibRate, err = b.statusUnderFib(ctx, c, f.serial, f.serial, n, &u.busyMgr); err != nil {
		return err
	}
	if u.control, _, err = b.statusUnderFib(ctx, c, f.serial, other.serial, n, &u.controlMgr); err != nil {
		return err
	}
	b.recordUnderFib(u)
	return nil
}

// underFib is what underFibSection measured.
type underFib struct {
	idle, busy, control          result
	idleMgr, busyMgr, controlMgr []managerSide
	fibRate                      float64
}

// statusUnderFib reads serial's status n times while 3 callers keep
// Fib(10^6) requests to fibSerial arriving, and gives the Fib replies per
// second. The callers run in a process of their own (fibload.go).
func (b *bench) statusUnderFib(ctx context.Context, c *mqmanager.Client, serial, fibSerial string, n int, sink *[]managerSide) (result, float64, error) {
	load, err := startFibLoad(ctx, b.url, fibSerial, 3)
	if err != nil {
		return result{}, 0, err
	}
	time.Sleep(300 * time.Millisecond) // let the Fib load build up
	r, err := drive(ctx, n, 1, statusCall(c, serial, sink))
	rate, lerr := load.stop()
	if err != nil || lerr != nil {
		return result{}, 0, fmt.Errorf("under Fib load: %w", errors.Join(err, lerr))
	}
	return r, rate, nil
}

func (b *bench) recordUnderFib(u underFib) {
	sec := "status/under-fib"
	idle, busy := u.idle, u.busy
	b.rep.add(row{section: sec, name: "JigStatus idle p50", value: ms(idle.p50()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "JigStatus idle p99", value: ms(idle.p99()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "JigStatus busy p50", value: ms(busy.p50()), unit: "ms", base: ms(idle.p50()), tgt: none})
	b.rep.add(row{section: sec, name: "JigStatus busy p99", value: ms(busy.p99()), unit: "ms", base: ms(idle.p99()), tgt: ratioAtMost(2)})
	b.rep.add(row{section: sec, name: "control: Fib to another manager p99", value: ms(u.control.p99()), unit: "ms", base: ms(idle.p99()), tgt: none})
	b.rep.add(row{section: sec, name: "busy p99 vs control p99", value: ms(busy.p99()), unit: "ms", base: ms(u.control.p99()), tgt: none})
	im, ir := split(u.idleMgr)
	bm, br := split(u.busyMgr)
	b.rep.add(row{section: sec, name: "manager-side idle p99", value: ms(im.p99()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "manager-side busy p99", value: ms(bm.p99()), unit: "ms", base: ms(im.p99()), tgt: none})
	b.rep.add(row{section: sec, name: "board read idle p99", value: ms(ir.p99()), unit: "ms", tgt: none})
	b.rep.add(row{section: sec, name: "board read busy p99", value: ms(br.p99()), unit: "ms", base: ms(ir.p99()), tgt: none})
	_, cr := split(u.controlMgr)
	b.rep.add(row{section: sec, name: "board read control p99", value: ms(cr.p99()), unit: "ms", base: ms(ir.p99()), tgt: none})
	b.rep.add(row{section: sec, name: "Fib(1e6) replies during busy", value: u.fibRate, unit: "req/s", tgt: none})
	b.rep.addLoad("JigStatus/Idle", idle)
	b.rep.addLoad("JigStatus/BusyFib", busy)
	b.rep.addLoad("JigStatus/FibElsewhere", u.control)
}
