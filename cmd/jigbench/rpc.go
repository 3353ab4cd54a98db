package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// contractVariant is the bare RPC with the contract's properties on its
// messages (contractProps): what the broker's share of the contract costs.
const contractVariant = "bare+props"

// variant is one pairing of caller and server in an rpc section. Besides
// the baseline (bare caller, bare echo server) and the project (Client,
// manager), the two crossed pairings tell which side costs what, and the
// bare pair carrying the contract's properties (contractVariant) tells
// what the contract itself costs the broker.
type variant struct {
	name string
	call func(context.Context) error
}

// rpcSection compares the project's Client and manager (Ping) with the bare
// baseline in one reply mode, sequential and 64 in flight.
func rpcSection(mode mqmanager.ReplyMode) func(context.Context, *bench) error {
	return func(ctx context.Context, b *bench) error {
		m, err := b.manager(ctx)
		if err != nil {
			return err
		}
		echoSerial, propsSerial := b.serial("E"), b.serial("P")
		props := newContractProps(b.url)
		echo, err := startEcho(b.url, echoSerial, contractProps{})
		if err != nil {
			return err
		}
		defer echo.close()
		echoProps, err := startEcho(b.url, propsSerial, props)
		if err != nil {
			return err
		}
		defer echoProps.close()
		raw, err := dialRaw(b.url, mode, contractProps{})
		if err != nil {
			return err
		}
		defer raw.close()
		rawProps, err := dialRaw(b.url, mode, props)
		if err != nil {
			return err
		}
		defer rawProps.close()
		c, err := b.dial(ctx, mode)
		if err != nil {
			return err
		}
		defer c.Close()
		bare := func(raw rawCaller, serial string) func(context.Context) error {
			key := mqmanager.RoutingKey(serial, jigapi.Ping.Name())
			return withTimeout(requestTimeout, func(ctx context.Context) error { return raw.call(ctx, key, []byte("{}")) })
		}
		client := func(serial string) func(context.Context) error {
			return withTimeout(requestTimeout, func(ctx context.Context) error {
				_, err := c.Ping(ctx, serial)
				var raw *mqmanager.RawReplyError // the bare echo's reply: its request's body
				if errors.As(err, &raw) {
					return nil
				}
				return err
			})
		}
		vs := []variant{{"baseline", bare(raw, echoSerial)}, {"client", client(m.serial)},
			{"bare->manager", bare(raw, m.serial)}, {"client->echo", client(echoSerial)},
			{contractVariant, bare(rawProps, propsSerial)}}
		return b.compareLoads(ctx, "rpc/"+mode.String(), mode, vs)
	}
}

// compareLoads measures the variants sequentially and 64 in flight, in
// alternating rounds (ABCD ABCD ...) so that drift affects all alike. The
// first round warms up and is discarded.
func (b *bench) compareLoads(ctx context.Context, sec string, mode mqmanager.ReplyMode, vs []variant) error {
	slow := 1 // the per-request mode is about ten times slower
	if mode == mqmanager.ReplyPerRequest {
		slow = 3
	}
	loads := []struct {
		name        string
		inflight, n int
	}{{"seq", 1, b.iters(300/slow, 20)}, {"64inflight", 64, b.iters(3000/slow, 128)}}
	for _, ld := range loads {
		merged, err := alternate(ctx, ld.n, ld.inflight, b.iters(8, 1), vs, b.cpu)
		if err != nil {
			return fmt.Errorf("%s: %w", ld.name, err)
		}
		b.recordLoad(sec, ld.name, vs, merged)
	}
	return nil
}

// alternate drives each variant n times with inflight callers, in rounds
// alternating between them (ABCD ABCD ...) after a discarded warm-up round
// of n/5, and returns each variant's rounds merged, with the CPU they used
// if cpu is not nil.
func alternate(ctx context.Context, n, inflight, rounds int, vs []variant, cpu *cpuMeter) ([]result, error) {
	res := make([][]result, len(vs))
	for round := range rounds + 1 {
		k := n
		if round == 0 {
			k = max(n/5, 10)
		}
		for i, v := range vs {
			before := cpu.sample()
			r, err := drive(ctx, k, inflight, v.call)
			r.cpu = cpu.sample().sub(before)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.name, err)
			}
			if round > 0 {
				res[i] = append(res[i], r)
			}
		}
	}
	merged := make([]result, len(vs))
	for i := range vs {
		merged[i] = merge(res[i]...)
	}
	return merged, nil
}

// recordLoad adds the rows of one load: the baseline's figures, the
// project's with their ratio and target, and the crossed pairings' p50 and
// throughput for information.
func (b *bench) recordLoad(sec, load string, vs []variant, rs []result) {
	rp := &b.rep
	br := rs[0]
	thr, p50 := none, ratioAtMost(1.3)
	if load != "seq" {
		thr, p50 = ratioAtLeast(0.90), ratioAtMost(1.2)
	}
	for i, v := range vs {
		r := rs[i]
		rp.addLoad(benchName(sec)+"/"+benchName(v.name)+"/"+load, r)
		name := v.name + " " + load
		if i == 0 {
			rp.add(row{section: sec, name: name + " p50", value: ms(r.p50()), unit: "ms", tgt: none})
			rp.add(row{section: sec, name: name + " p99", value: ms(r.p99()), unit: "ms", tgt: none})
			rp.add(row{section: sec, name: name + " thrpt", value: r.rps(), unit: "req/s", tgt: none})
			continue
		}
		p50t, p99t, tt := p50, none, thr
		if i > 1 {
			p50t, tt = none, none
		}
		rp.add(row{section: sec, name: name + " p50", value: ms(r.p50()), unit: "ms", base: ms(br.p50()), tgt: p50t})
		if i == 1 {
			rp.add(row{section: sec, name: name + " p99", value: ms(r.p99()), unit: "ms", base: ms(br.p99()), tgt: p99t})
		}
		rp.add(row{section: sec, name: name + " thrpt", value: r.rps(), unit: "req/s", base: br.rps(), tgt: tt})
	}
	if i := len(vs) - 1; vs[i].name == contractVariant {
		rp.add(row{section: sec, name: "client " + load + " thrpt vs " + contractVariant, value: rs[1].rps(),
			unit: "req/s", base: rs[i].rps(), tgt: none})
	}
	if load != "seq" {
		b.recordCPU(sec, load, vs, rs)
	}
}

// recordCPU adds each variant's CPU per request, this process's (caller
// and, for the project's server, the in-process manager) and the broker's,
// against the baseline's.
func (b *bench) recordCPU(sec, load string, vs []variant, rs []result) {
	bs, bb := rs[0].cpuPerReq()
	for i, v := range vs {
		s, br := rs[i].cpuPerReq()
		base := func(x float64) float64 {
			if i == 0 {
				return 0
			}
			return x
		}
		b.rep.add(row{section: sec, name: v.name + " " + load + " cpu go", value: s, unit: "us/req", base: base(bs), tgt: none})
		if b.cpu.brokerPID != 0 {
			b.rep.add(row{section: sec, name: v.name + " " + load + " cpu broker", value: br, unit: "us/req", base: base(bb), tgt: none})
		}
	}
}

// benchName turns a section or mode name into a benchmark name part:
// "rpc/per-request" is "RPC/PerRequest", "bare->manager" "BareToManager".
func benchName(sec string) string {
	var out []byte
	up := true
	sec = strings.NewReplacer("rpc", "RPC", "->", "-to-").Replace(sec)
	for _, c := range []byte(sec) {
		switch {
		case c == '-':
			up = true
		case up && c >= 'a' && c <= 'z':
			out, up = append(out, c-'a'+'A'), false
		default:
			out, up = append(out, c), c == '/'
		}
	}
	return string(out)
}
