package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/jigmq/jigmq/fib"
)

// fibTiming is the median time of computing F(n) and of formatting it in
// decimal.
type fibTiming struct {
	compute, decimal time.Duration
	digits           int
}

func (t fibTiming) total() time.Duration { return t.compute + t.decimal }

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// timeFib times fib.Fib(n) and its String() reps times.
func timeFib(ctx context.Context, n, reps int) (fibTiming, error) {
	var cs, ds []time.Duration
	var digits int
	for range reps {
		t0 := time.Now()
		v, err := fib.Fib(ctx, n)
		if err != nil {
			return fibTiming{}, err
		}
		t1 := time.Now()
		s := v.String()
		cs, ds = append(cs, t1.Sub(t0)), append(ds, time.Since(t1))
		digits = len(s)
	}
	return fibTiming{compute: median(cs), decimal: median(ds), digits: digits}, nil
}

// gmpScript times gmpy2.fib(10**6) and str() the same way, in Debian's
// python3 (python3-gmpy2); it prints one JSON object.
const gmpScript = `
import gmpy2, json, statistics, sys, time
n, reps = int(sys.argv[1]), int(sys.argv[2])
cs, ds = [], []
for _ in range(reps):
    t0 = time.perf_counter(); v = gmpy2.fib(n); t1 = time.perf_counter(); s = str(v); t2 = time.perf_counter()
    cs.append(t1 - t0); ds.append(t2 - t1)
print(json.dumps({"compute": statistics.median(cs), "decimal": statistics.median(ds), "digits": len(s),
                  "gmpy2": gmpy2.version(), "gmp": gmpy2.mp_version()}))
`

const debianPython = "/usr/bin/python3"

// timeGMP runs gmpScript; ok is false, with a reason, when gmpy2 is missing.
func timeGMP(ctx context.Context, n, reps int) (t fibTiming, lib string, err error) {
	if _, err := os.Stat(debianPython); err != nil {
		return t, "", fmt.Errorf("%s missing (apt-get install -y python3-gmpy2)", debianPython)
	}
	out, err := exec.CommandContext(ctx, debianPython, "-c", gmpScript, fmt.Sprint(n), fmt.Sprint(reps)).Output()
	if err != nil {
		return t, "", fmt.Errorf("gmpy2 unavailable (apt-get install -y python3-gmpy2): %v", err)
	}
	var r struct {
		Compute, Decimal float64
		Digits           int
		Gmpy2, GMP       string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return t, "", fmt.Errorf("gmpy2 script output %q: %v", out, err)
	}
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return fibTiming{compute: sec(r.Compute), decimal: sec(r.Decimal), digits: r.Digits},
		r.GMP + ", gmpy2 " + r.Gmpy2, nil
}

// fibSection times the Fib method's work (compute + decimal) for n = 10^4,
// 10^5, 10^6, and GMP's for 10^6.
func fibSection(ctx context.Context, b *bench) error {
	var go6 fibTiming
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		reps := b.iters(max(5, 10_000_000/n/10), 1)
		t, err := timeFib(ctx, n, reps)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("Fib(%s)", pow10(n))
		b.rep.add(row{section: "fib", name: name + " compute", value: ms(t.compute), unit: "ms", tgt: none})
		b.rep.add(row{section: "fib", name: name + " decimal", value: ms(t.decimal), unit: "ms", tgt: none})
		b.rep.add(row{section: "fib", name: name + " total", value: ms(t.total()), unit: "ms", tgt: none})
		b.rep.addBench("Fib/"+pow10(n), reps, fmt.Sprint(t.total().Nanoseconds()), "ns/op",
			fmt.Sprint(t.compute.Nanoseconds()), "compute-ns", fmt.Sprint(t.decimal.Nanoseconds()), "decimal-ns")
		go6 = t
	}
	gmp, lib, err := timeGMP(ctx, 1_000_000, b.iters(7, 1))
	if err != nil {
		b.logf("fib: skipping the GMP comparison: %v", err)
		return nil
	}
	b.logf("fib: GMP is %s; F(10^6) has %d digits (Go: %d)", lib, gmp.digits, go6.digits)
	b.rep.add(row{section: "fib", name: "GMP Fib(10^6) compute", value: ms(gmp.compute), unit: "ms", tgt: none})
	b.rep.add(row{section: "fib", name: "GMP Fib(10^6) decimal", value: ms(gmp.decimal), unit: "ms", tgt: none})
	b.rep.add(row{section: "fib", name: "Go vs GMP Fib(10^6) total", value: ms(go6.total()), unit: "ms",
		base: ms(gmp.total()), tgt: ratioAtMost(4)})
	b.rep.addBench("FibGMP/10^6", b.iters(7, 1), fmt.Sprint(gmp.total().Nanoseconds()), "ns/op",
		fmt.Sprint(gmp.compute.Nanoseconds()), "compute-ns", fmt.Sprint(gmp.decimal.Nanoseconds()), "decimal-ns")
	return nil
}

func pow10(n int) string {
	e := 0
	for ; n >= 10; n /= 10 {
		e++
	}
	return fmt.Sprintf("10^%d", e)
}
