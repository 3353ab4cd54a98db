package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/internal/gateway"
	"github.com/jigmq/jigmq/internal/keypath"
	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/mqmanager"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Usage: jig-gateway [--config FILE] [--listen ADDR] [--url URL]

jig-gateway follows the fixtures' events (*.Evt.* on amq.topic) into a
fleet table and serves it: the JSON API under /api/v1 (docs/http.md),
server-sent events at /api/v1/events, a live dashboard at / and Prometheus
metrics at /metrics. It listens on 127.0.0.1:8080 by default.

Flags override the file; the environment overrides the file too:
  AMQP_URL           the broker URL (replaces broker.urls)
  JIG_AMQP_PASSWORD  the broker password (filled into URLs without one)
  JIG_GATEWAY_TOKEN  the bearer token of endpoints that change a fixture

Flags:
`

type options struct {
	config, listen, url, inventory string
	version                        bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("jig-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "configuration `FILE` (YAML)")
	fs.StringVar(&o.listen, "listen", "", "HTTP `ADDR` (overrides listen; default 127.0.0.1:8080)")
	fs.StringVar(&o.url, "url", "", "broker `URL` (overrides broker.urls and AMQP_URL)")
	fs.StringVar(&o.inventory, "inventory", "", "`FILE` of expected serials (overrides fleet.inventory)")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
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
		fmt.Fprintln(stdout, "jig-gateway", version)
		return nil
	}
	cfg, err := load(o, os.Getenv)
	if err != nil {
		return cli.Exit(2, fmt.Errorf("configuration:\n%w", err))
	}
	log := manager.NewLogger(cfg.Log, stderr)
	g, err := gateway.New(cfg, version, log)
	if err != nil {
		return cli.Exit(2, err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return cli.Exit(1, err)
	}
	url := cfg.URL(ln.Addr().String())
	log.Info("serving", "version", version, "url", url, "broker", mqmanager.Redact(cfg.Broker.URLs[0]))
	fmt.Fprintf(stdout, "jig-gateway: dashboard at %s\n", url)
	if err := g.Run(ctx, ln); err != nil {
		return cli.Exit(1, err)
	}
	log.Info("stopped")
	return nil
}

func load(o options, getenv func(string) string) (gateway.Config, error) {
	cfg, err := gateway.Load(o.config, getenv)
	if !keypath.Partial(err) {
		return cfg, err
	}
	if o.listen != "" {
		cfg.Listen = o.listen
	}
	if o.url != "" {
		cfg.Broker.SetURLs([]string{o.url}, "--url")
	}
	if o.inventory != "" {
		cfg.Fleet.Inventory = o.inventory
	}
	return cfg, keypath.Report(err, cfg.Validate())
}
