package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

const usage = `Usage: jigbench [--quick] [--only REGEX] [--url URL] [--cpuprofile FILE]

jigbench measures jigmq against the local RabbitMQ broker in one run: a bare
amqp091-go echo RPC (the baseline) and the project's Client and manager in
each reply mode, jigctl as a process, the no-fixture fast fail, JigStatus
under load, Fib against GMP, the manager's memory, a fleet of managers, and
jig-gateway's HTTP API and event streams. It prints a table
(every figure with its target, PASS or MISS, and its ratio to the baseline
where there is one), then the same figures in benchstat's format.

Sections (for --only):
`

// bench is one run's settings, shared state and report.
type bench struct {
	url    string
	quick  bool
	tmp    string // scratch directory, removed at the end
	stderr io.Writer
	rep    report
	env    *procEnv // built binaries and processes, started on first use
	inproc *inprocManager
	cpu    *cpuMeter // this process's and the broker's CPU
}

// section is one group of measurements.
type section struct {
	name string
	run  func(ctx context.Context, b *bench) error
}

var sections = []section{
	{"fib", fibSection},
	{"rpc/per-request", rpcSection(mqmanager.ReplyPerRequest)},
	{"rpc/shared", rpcSection(mqmanager.ReplyShared)},
	{"rpc/direct", rpcSection(mqmanager.ReplyDirect)},
	{"nofixture", noFixtureSection},
	{"status/coalesce", coalesceSection},
	{"status/under-fib", underFibSection},
	{"jigctl", jigctlSection},
	{"rss", rssSection},
	{"fleet", fleetSection},
	{"gateway", gatewaySection},
}

// iters picks the full or the --quick count.
func (b *bench) iters(full, quick int) int {
	if b.quick {
		return quick
	}
	return full
}

// serial is a fixture serial unique to this run.
func (b *bench) serial(prefix string) string {
	var r [4]byte
	rand.Read(r[:])
	return "BENCH-" + prefix + "-" + hex.EncodeToString(r[:])
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.stderr, "jigbench: "+format+"\n", args...)
}

type options struct {
	quick      bool
	only       *regexp.Regexp
	url        string
	cpuprofile string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	only := ""
	fs := flag.NewFlagSet("jigbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.quick, "quick", false, "few iterations: a smoke test, not a measurement")
	fs.StringVar(&only, "only", "", "run only the sections whose name matches `REGEX`")
	fs.StringVar(&o.url, "url", envOr("AMQP_URL", mqmanager.DefaultURL), "broker `URL` (env AMQP_URL)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of this process to `FILE`")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		for _, s := range sections {
			fmt.Fprintln(stderr, "  "+s.name)
		}
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var err error
	if o.only, err = regexp.Compile(only); err != nil {
		return o, fmt.Errorf("--only: %w", err)
	}
	return o, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// run is the whole program. A MISS is not an error; a section that cannot
// measure (broker down, lost requests) is, after the other sections ran.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if url := os.Getenv(coldDialEnv); url != "" {
		return coldDialProbe(url, stdout)
	}
	if spec := os.Getenv(fibLoadEnv); spec != "" {
		return fibLoadProcess(spec, os.Stdin, stdout)
	}
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	b := &bench{url: o.url, quick: o.quick, stderr: stderr, cpu: newCPUMeter(o.url)}
	if b.tmp, err = os.MkdirTemp("", "jigbench-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)
	defer b.close()
	errs := b.runSections(ctx, o.only)
	b.rep.print(stdout)
	return errors.Join(errs...)
}

func (b *bench) runSections(ctx context.Context, only *regexp.Regexp) []error {
	var errs []error
	ran := 0
	for _, s := range sections {
		if !only.MatchString(s.name) || ctx.Err() != nil {
			continue
		}
		ran++
		start := time.Now()
		b.logf("%s ...", s.name)
		if err := s.run(ctx, b); err != nil {
			b.logf("%s: %v", s.name, err)
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			continue
		}
		b.logf("%s done in %.1fs", s.name, time.Since(start).Seconds())
	}
	if ran == 0 {
		names := make([]string, len(sections))
		for i, s := range sections {
			names[i] = s.name
		}
		errs = append(errs, fmt.Errorf("--only %q matches no section (%s)", only, strings.Join(names, ", ")))
	}
	return append(errs, ctx.Err())
}

// close stops whatever the sections started.
func (b *bench) close() {
	if b.inproc != nil {
		b.inproc.stop()
	}
	if b.env != nil {
		b.env.close()
	}
}
