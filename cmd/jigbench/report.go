package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
)

// target is a figure's goal: a description and a check of the value and
// of its ratio to the baseline (0 when there is none).
type target struct {
	desc string
	ok   func(value, ratio float64) bool
}

// none is the target of a figure reported for information only.
var none = target{desc: "-"}

func below(limit float64, unit string) target {
	return target{desc: "< " + short(limit) + " " + unit, ok: func(v, _ float64) bool { return v < limit }}
}

func ratioAtMost(x float64) target {
	return target{desc: "<= " + short(x) + "x base", ok: func(_, r float64) bool { return r > 0 && r <= x }}
}

func ratioAtLeast(x float64) target {
	return target{desc: ">= " + short(x*100) + "% of base", ok: func(_, r float64) bool { return r >= x }}
}

// row is one line of the table.
type row struct {
	section, name string
	value         float64
	unit          string
	base          float64 // the baseline's figure; 0 when there is none
	tgt           target
}

func (r row) ratio() float64 {
	if r.base == 0 {
		return 0
	}
	return r.value / r.base
}

func (r row) verdict() string {
	switch {
	case r.tgt.ok == nil:
		return "info"
	case r.tgt.ok(r.value, r.ratio()):
		return "PASS"
	}
	return "MISS"
}

// benchLine is one line of the benchstat section: a name, the number of
// operations measured, and value-unit pairs (the first one ns/op).
type benchLine struct {
	name    string
	n       int
	metrics []string
}

// report collects the rows and benchmark lines of a run.
type report struct {
	rows    []row
	benches []benchLine
}

func (rp *report) add(r row) { rp.rows = append(rp.rows, r) }

// addLoad records a load result as benchstat metrics: ns/op is the mean
// wall time per request (the inverse of throughput), then p50, p99, req/s.
func (rp *report) addLoad(name string, res result) {
	nsop := float64(res.wall.Nanoseconds()) / float64(max(res.n(), 1))
	rp.benches = append(rp.benches, benchLine{name: name, n: res.n(), metrics: []string{
		num(nsop), "ns/op", num(float64(res.p50().Nanoseconds())), "p50-ns",
		num(float64(res.p99().Nanoseconds())), "p99-ns", num(res.rps()), "req/s"}})
}

// addBench records value-unit pairs as a benchmark line.
func (rp *report) addBench(name string, n int, metrics ...string) {
	rp.benches = append(rp.benches, benchLine{name: name, n: n, metrics: metrics})
}

// print writes the table, a PASS/MISS summary and the benchstat section.
func (rp *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "section\tfigure\tvalue\tunit\tbaseline\tratio\ttarget\tresult\t")
	pass, miss := 0, 0
	for _, r := range rp.rows {
		base, ratio := "-", "-"
		if r.base != 0 {
			base, ratio = num(r.base), fmt.Sprintf("%.2fx", r.ratio())
		}
		v := r.verdict()
		pass += b2i(v == "PASS")
		miss += b2i(v == "MISS")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.section, r.name, num(r.value), r.unit,
			base, ratio, r.tgt.desc, v)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d PASS, %d MISS\n", pass, miss)
	if len(rp.benches) == 0 {
		return
	}
	fmt.Fprintf(w, "\n# benchstat format\ngoos: %s\ngoarch: %s\npkg: github.com/jigmq/jigmq/cmd/jigbench\n",
		runtime.GOOS, runtime.GOARCH)
	for _, b := range rp.benches {
		fmt.Fprintf(w, "Benchmark%s-%d\t%d\t%s\n", b.name, runtime.GOMAXPROCS(0), b.n, strings.Join(b.metrics, " "))
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// short formats a target's number as briefly as possible.
func short(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// num formats a figure with three significant digits (more for large
// integers), without exponent.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 1000 || v <= -1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100 || v <= -100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 10 || v <= -10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}
