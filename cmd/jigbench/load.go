package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one load run: every request's latency, sorted, and the wall
// time of the whole run.
type result struct {
	lat  []time.Duration
	wall time.Duration
	cpu  cpuSample // CPU used during the run (zero when not measured)
}

// cpuPerReq is the CPU of this process and of the broker per request, in
// microseconds.
func (r result) cpuPerReq() (self, broker float64) {
	if len(r.lat) == 0 {
		return 0, 0
	}
	n := float64(len(r.lat))
	return float64(r.cpu.self.Microseconds()) / n, float64(r.cpu.broker.Microseconds()) / n
}

func (r result) n() int { return len(r.lat) }

// pct is the q-quantile (0 < q <= 1) by nearest rank.
func (r result) pct(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.lat)))) - 1
	return r.lat[max(i, 0)]
}

func (r result) p50() time.Duration { return r.pct(0.50) }
func (r result) p99() time.Duration { return r.pct(0.99) }

// rps is requests per second over the wall time.
func (r result) rps() float64 {
	if r.wall <= 0 {
		return 0
	}
	return float64(len(r.lat)) / r.wall.Seconds()
}

// merge concatenates the samples of several runs (rounds of the same
// measurement) and adds their wall times.
func merge(rs ...result) result {
	var out result
	for _, r := range rs {
		out.lat = append(out.lat, r.lat...)
		out.wall += r.wall
		out.cpu.self += r.cpu.self
		out.cpu.broker += r.cpu.broker
	}
	slices.Sort(out.lat)
	return out
}

// drive runs call n times with inflight callers at once (1 is sequential)
// and fails on the first error: a benchmark that loses requests measures
// nothing.
func drive(ctx context.Context, n, inflight int, call func(context.Context) error) (result, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var errOnce sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range min(inflight, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = next.Add(1) - 1 {
				t0 := time.Now()
				if err := call(ctx); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("request %d of %d: %w", i+1, n, err) })
					cancel()
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	r := result{lat: lat, wall: time.Since(start)}
	slices.Sort(r.lat)
	if firstErr != nil {
		return r, firstErr
	}
	return r, ctx.Err()
}

// withTimeout wraps call with a per-request deadline.
func withTimeout(d time.Duration, call func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return call(ctx)
	}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// background runs call in a loop on k goroutines until the returned stop is
// called; stop returns how many calls completed and the first error.
func background(ctx context.Context, k int, call func(context.Context) error) (stop func() (int, error)) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var done atomic.Int64
	var errOnce sync.Once
	var firstErr error
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := call(ctx); err != nil && ctx.Err() == nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		}()
	}
	return func() (int, error) {
		cancel()
		wg.Wait()
		return int(done.Load()), firstErr
	}
}
