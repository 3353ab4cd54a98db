package main

import (
	"context"
	"errors"
	"fmt"
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
// the bus's cost, not a board's) for N = 10, 100, 500, and measures `list`
// (a Ping broadcast, until all N answer), a status of all N at once, and
// the broker's memory per manager. The growth from 100 to 500 is the cost
// per manager at 500 over that at 100: at most 1 is no worse than linear.
func fleetSection(ctx context.Context, b *bench) error {
	sizes := []int{10, 100, 500}
	if b.quick {
		sizes = []int{10}
	}
	c, err := b.dial(ctx, mqmanager.ReplyDirect)
	if err != nil {
		return err
	}
	defer c.Close()
	list, status := map[int]float64{}, map[int]float64{}
	for _, n := range sizes {
		l, s, err := b.fleetOf(ctx, c, n)
		if err != nil {
			return fmt.Errorf("%d managers: %w", n, err)
		}
		list[n], status[n] = l, s
	}
	if !b.quick {
		sec := "fleet"
		perManager := func(m map[int]float64) float64 { return (m[500] / 500) / (m[100] / 100) }
		b.rep.add(row{section: sec, name: "list 500 per manager vs 100", value: perManager(list), unit: "x",
			tgt: target{desc: "<= 1 (linear)", ok: func(v, _ float64) bool { return v <= 1 }}})
		b.rep.add(row{section: sec, name: "status 500 per manager vs 100", value: perManager(status), unit: "x",
			tgt: target{desc: "<= 1 (linear)", ok: func(v, _ float64) bool { return v <= 1 }}})
	}
	return nil
}

// fleetOf measures a fleet of n and adds its rows; it returns the p50s of
// list and of the status of all, in ms.
func (b *bench) fleetOf(ctx context.Context, c *mqmanager.Client, n int) (list, status float64, err error) {
	before, memErr := brokerMemory(ctx)
	f, err := startFleet(ctx, b, n)
	if err != nil {
		return 0, 0, err
	}
	defer f.stop()
	after, memErr2 := brokerMemory(ctx)
	rounds := b.iters(21, 2) // p50s of 7 moved the 500-over-100 growth by 0.3x run to run
	cpu0 := b.cpu.sample()
	lr, err := drive(ctx, rounds, 1, withTimeout(requestTimeout, func(ctx context.Context) error {
		return listAll(ctx, c, f.serials)
	}))
	if err != nil {
		return 0, 0, fmt.Errorf("list: %w", err)
	}
	listCPU := b.cpu.sample().sub(cpu0)
	sr, err := drive(ctx, rounds, 1, withTimeout(requestTimeout, func(ctx context.Context) error {
		return statusAll(ctx, c, f.serials)
	}))
	if err != nil {
		return 0, 0, fmt.Errorf("status of all: %w", err)
	}
	sec, name := "fleet", fmt.Sprintf("%d managers ", n)
	listTgt := none
	if n == 500 {
		listTgt = below(1000, "ms")
	}
	b.rep.add(row{section: sec, name: name + "list p50", value: ms(lr.p50()), unit: "ms", tgt: listTgt})
	b.rep.add(row{section: sec, name: name + "status all p50", value: ms(sr.p50()), unit: "ms", tgt: none})
	perReply := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(rounds*n) }
	b.rep.add(row{section: sec, name: name + "list cpu go per reply", value: perReply(listCPU.self), unit: "us", tgt: none})
	b.rep.add(row{section: sec, name: name + "list cpu broker per reply", value: perReply(listCPU.broker), unit: "us", tgt: none})
	if memErr == nil && memErr2 == nil {
		b.rep.add(row{section: sec, name: name + "broker memory each", value: float64(after-before) / float64(n) / 1024,
			unit: "KiB", tgt: none})
	} else {
		b.logf("fleet: broker memory not read: %v", errors.Join(memErr, memErr2))
	}
	b.rep.addLoad(fmt.Sprintf("Fleet/%d/List", n), lr)
	b.rep.addLoad(fmt.Sprintf("Fleet/%d/StatusAll", n), sr)
	return ms(lr.p50()), ms(sr.p50()), nil
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
