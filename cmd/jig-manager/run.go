package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/sdnotify"
	"github.com/jigmq/jigmq/mqmanager"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Usage: jig-manager --config FILE [flags]

jig-manager serves one test fixture on the RabbitMQ bus: it consumes the
requests for its serial (<serial>.Req.<Method> on amq.topic), reads the
fixture's controller board over its serial port, and replies.

Flags override the file; the environment overrides the file too:
  AMQP_URL           the broker URL (replaces broker.urls)
  JIG_AMQP_PASSWORD  the broker password (filled into URLs without one)

Flags:
`

const examples = `
Examples:
  jig-manager --config /etc/jig-manager/JIG-0001.yaml
  jig-manager --serial SIM-0001 --port /tmp/jigsim/SIM-0001 --url amqp://guest:guest@127.0.0.1:5672/

Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 when it cannot serve
(e.g. the serial is already served by another manager), 2 for bad flags or
configuration.
`

type options struct {
	config, serial, port, url, tutorialQueue string
	version                                  bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("jig-manager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "configuration `FILE` (YAML)")
	fs.StringVar(&o.serial, "serial", "", "fixture `SERIAL`, e.g. JIG-0001 (overrides serial)")
	fs.StringVar(&o.port, "port", "", "serial port `PATH` (overrides fixture.port)")
	fs.StringVar(&o.url, "url", "", "broker `URL` (overrides broker.urls and AMQP_URL)")
	fs.StringVar(&o.tutorialQueue, "tutorial-queue", "", "also serve the RPC tutorial's `QUEUE`, e.g. rpc_queue")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, examples)
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return cli.Exit(2, err)
	}
	if o.version {
		fmt.Fprintln(stdout, "jig-manager", version)
		return nil
	}
	cfg, err := load(o, os.Getenv)
	if err != nil {
		return cli.Exit(2, fmt.Errorf("configuration:\n%w", err))
	}
	log := manager.NewLogger(cfg.Log, stderr)
	log.Info("starting", "version", version, "serial", cfg.Serial, "port", cfg.Fixture.Port,
		"broker", redacted(cfg.Broker.URLs))
	if err := serve(ctx, cfg, log); err != nil {
		// A state file the manager cannot keep is fixed by hand, as the
		// configuration is: exit 2, which systemd does not restart.
		var state *manager.LeaseStateError
		if errors.As(err, &state) {
			log.Error("cannot start", "serial", cfg.Serial, "err", err)
			return cli.Exit(2, err)
		}
		log.Error("cannot serve", "serial", cfg.Serial, "err", err)
		return cli.Exit(1, err)
	}
	log.Info("stopped")
	return nil
}

// serve runs the manager and tells systemd, when it listens, how it is
// doing: READY=1 once the consumer is live, STATUS= on every change,
// watchdog keep-alives while the manager's own loops make progress, broker
// reachable or not (see startWatchdog), and until READY, extensions of the
// start timeout on the same condition (see startExtender).
func serve(ctx context.Context, cfg manager.Config, log *slog.Logger) error {
	mqmanager.SpareProcs() // Fib on processors of its own
	tuneGC()               // and fewer collections for its garbage
	notify := sdnotify.New(os.Getenv("NOTIFY_SOCKET"))
	st := &status{notify: notify}
	st.set("connecting to the broker")
	starting, started := context.WithCancel(ctx)
	defer started()
	d, err := manager.New(cfg, version, log, manager.Hooks{
		OnReady: func() { started(); st.serving("serving " + cfg.Serial) },
		OnDown:  func(error) { st.set("broker link lost, reconnecting") },
		OnRetry: func(err error) { st.waiting(err) },
	})
	if err != nil {
		return err
	}
	// Kicks go on while the daemon stops (at most its shutdown grace);
	// extensions end when it starts stopping, so as not to stretch
	// TimeoutStopSec.
	stop := startWatchdog(notify, st, d.Liveness, log)
	stopExtending := startExtender(starting, st, extendEvery, d.Liveness, log)
	err = d.Run(ctx)
	stopExtending()
	notify.Send("STOPPING=1")
	stop()
	return err
}

func load(o options, getenv func(string) string) (manager.Config, error) {
	cfg, err := manager.Load(o.config, getenv)
	if !keypath.Partial(err) {
		return cfg, err
	}
	if o.serial != "" {
		cfg.Serial = o.serial
	}
	if o.port != "" {
		cfg.Fixture.Port = o.port
	}
	if o.url != "" {
		cfg.Broker.SetURLs([]string{o.url}, "--url")
	}
	if o.tutorialQueue != "" {
		cfg.Compat.TutorialQueue = o.tutorialQueue
	}
	return cfg, keypath.Report(err, cfg.Validate())
}

func redacted(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = mqmanager.Redact(u)
	}
	return out
}
