package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// fleetSection starts N in-process managers (mqmanager servers with no
// board: Ping and JigStatus answered from memory, so that what grows is
// the bus's cost, not a board's) for N = 10, 100, 500, each connecting as
// over Ethernet (ethernetDialer), and measures `list` (a Ping broadcast,
// until all N answer), a status of all N at once, and the broker's memory
// per manager; then the memory of 100 connecting over loopback, as they
// did before. The fleet of 100 is measured before and after the 500 and
// its rounds merged, so that drift over the section moves both sides of
// the growth alike: the cost per manager at 500 over that at 100, at most
// 1 is no worse than linear.
func fleetSection(ctx context.Context, b *bench) error {
	sizes, order := []int{10, 100, 500}, []int{10, 100, 500, 100} // order: 100 again after 500
	if b.quick {
		sizes, order = []int{10}, []int{10}
	}
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{ReplyMode: mqmanager.ReplyDirect, AppID: "jigbench",
		Broker: mqmanager.Broker{URLs: []string{b.url}, Dialer: ethernetDialer()}})
	if err != nil {
		return err
	}
	defer c.Close()
	runs := map[int]*fleetRun{}
	for _, n := range order {
		r, err := b.fleetOf(ctx, c, n, ethernetDialer())
		if err != nil {
			return fmt.Errorf("%d managers: %w", n, err)
		}
		if runs[n] == nil {
			runs[n] = r
		} else {
			runs[n].add(r)
		}
	}
	for _, n := range sizes {
		b.fleetRows(n, runs[n])
	}
	if !b.quick {
		b.loopbackMemory(ctx, 100)
		b.fleetGrowth(runs[100], runs[500])
	}
	return nil
}

// fleetGrowth adds the growth rows: the cost per manager at 500 over that
// at 100, for list and for the status of all.
func (b *bench) fleetGrowth(at100, at500 *fleetRun) {
	perManager := func(p50 func(*fleetRun) float64) float64 { return (p50(at500) / 500) / (p50(at100) / 100) }
	linear := target{desc: "<= 1 (linear)", ok: func(v, _ float64) bool { return v <= 1 }}
	b.rep.add(row{section: "fleet", name: "list 500 per manager vs 100", unit: "x", tgt: linear,
		value: perManager(func(r *fleetRun) float64 { return ms(r.list.p50()) })})
	b.rep.add(row{section: "fleet", name: "status 500 per manager vs 100", unit: "x", tgt: linear,
		value: perManager(func(r *fleetRun) float64 { return ms(r.status.p50()) })})
}

// fleetRun is what one fleet's measurement gathered.
type fleetRun struct {
	list, status result
	listCPU      cpuSample
	memEach      float64 // broker memory per manager, KiB; -1 if not read
}

// add merges a second measurement of the same size; memory is the first's.
func (r *fleetRun) add(o *fleetRun) {
	r.list, r.status = merge(r.list, o.list), merge(r.status, o.status)
	r.listCPU.self += o.listCPU.self
	r.listCPU.broker += o.listCPU.broker
}

// fleetOf starts a fleet of n, its managers connecting with d, and
// measures it.
func (b *bench) fleetOf(ctx context.Context, c *mqmanager.Client, n int, d *net.Dialer) (*fleetRun, error) {
	before, memErr := brokerMemory(ctx)
	f, err := startFleet(ctx, b, n, d)
	if err != nil {
		return nil, err
	}
	defer f.stop()
	after, memErr2 := brokerMemory(ctx)
	r := &fleetRun{memEach: -1}
	if err := errors.Join(memErr, memErr2); err == nil {
		r.memEach = float64(after-before) / float64(n) / 1024
	} else {
		b.logf("fleet: broker memory not read: %v", err)
	}
	rounds := b.iters(21, 2) // p50s of 7 moved the 500-over-100 growth by 0.3x run to run
	cpu0 := b.cpu.sample()
	r.list, err = drive(ctx, rounds, 1, withTimeout(requestTimeout, func(ctx context.Context) error {
		return listAll(ctx, c, f.serials)
	}))
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	r.listCPU = b.cpu.sample().sub(cpu0)
	r.status, err = drive(ctx, rounds, 1, withTimeout(requestTimeout, func(ctx context.Context) error {
		return statusAll(ctx, c, f.serials)
	}))
	if err != nil {
		return nil, fmt.Errorf("status of all: %w", err)
	}
	return r, nil
}

// fleetRows adds the rows of the fleet of n.
func (b *bench) fleetRows(n int, r *fleetRun) {
	sec, name := "fleet", fmt.Sprintf("%d managers ", n)
	listTgt := none
	if n == 500 {
		listTgt = below(1000, "ms")
	}
	b.rep.add(row{section: sec, name: name + "list p50", value: ms(r.list.p50()), unit: "ms", tgt: listTgt})
	b.rep.add(row{section: sec, name: name + "status all p50", value: ms(r.status.p50()), unit: "ms", tgt: none})
	perReply := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(r.list.n()*n) }
	b.rep.add(row{section: sec, name: name + "list cpu go per reply", value: perReply(r.listCPU.self), unit: "us", tgt: none})
	b.rep.add(row{section: sec, name: name + "list cpu broker per reply", value: perReply(r.listCPU.broker), unit: "us", tgt: none})
	if r.memEach >= 0 {
		b.rep.add(row{section: sec, name: name + "broker memory each", value: r.memEach, unit: "KiB", tgt: none})
	}
	b.rep.addLoad(fmt.Sprintf("Fleet/%d/List", n), r.list)
	b.rep.addLoad(fmt.Sprintf("Fleet/%d/StatusAll", n), r.status)
}

// loopbackMemory adds the broker's memory per manager for n managers
// connecting over loopback (its 64 KiB MSS): what the fleet's figure was
// before it connected as over Ethernet.
func (b *bench) loopbackMemory(ctx context.Context, n int) {
	before, err := brokerMemory(ctx)
	if err != nil {
		return // fleetOf said so
	}
	f, err := startFleet(ctx, b, n, nil)
	if err != nil {
		b.logf("fleet: %d managers over loopback: %v", n, err)
		return
	}
	defer f.stop()
	if after, err := brokerMemory(ctx); err == nil {
		b.rep.add(row{section: "fleet", name: fmt.Sprintf("%d managers broker memory each, loopback MSS", n),
			value: float64(after-before) / float64(n) / 1024, unit: "KiB", tgt: none})
	}
}

// listAll broadcasts Ping until every serial of the fleet has answered.
func listAll(ctx context.Context, c *mqmanager.Client, serials []string) error {
	want := make(map[string]bool, len(serials))
	for _, s := range serials {
		want[s] = true
	}
	got := 0
	err := c.Discover(ctx, func(serial string, _ jigapi.PingResult, err error) bool {
		if err == nil && want[serial] {
			want[serial] = false
			got++
		}
		return got < len(serials)
	})
	if err == nil && got < len(serials) {
		err = fmt.Errorf("%d of %d managers answered", got, len(serials))
	}
	return err
}

// statusAll asks every serial for its status at once.
func statusAll(ctx context.Context, c *mqmanager.Client, serials []string) error {
	errs := make([]error, len(serials))
	var wg sync.WaitGroup
	for i, s := range serials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Status(ctx, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// brokerMemory is the broker node's total memory in bytes (rabbitmqctl, as
// root). The broker is shared: other clients' load moves it too.
func brokerMemory(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "rabbitmqctl", "eval", "erlang:memory(total).").Output()
	if err != nil {
		return 0, fmt.Errorf("rabbitmqctl: %w", err)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return 0, errors.New("rabbitmqctl eval: no output")
	}
	return strconv.ParseInt(lines[len(lines)-1], 10, 64)
}
