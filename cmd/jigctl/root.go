package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/jigmq/jigmq/internal/cli"
	"github.com/jigmq/jigmq/mqmanager"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// globals are the flags every command takes.
type globals struct {
	url     string
	timeout time.Duration
	output  string
	reply   string
	tls     tlsFlags
	envErr  error             // a bad environment value (applyEnv)
	env     map[string]string // flag -> the variable that set it (applyEnv)
	pf      *pflag.FlagSet    // the global flags
	stdout  io.Writer
	stderr  io.Writer
	replyUser
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		if _, ok := err.(*cli.ExitError); !ok {
			// cobra's own errors: unknown command or flag, wrong arguments.
			return cli.Exit(exitUsage, fmt.Errorf("%v (see jigctl --help)", err))
		}
	}
	return err
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "jigctl",
		Short: "Ask test fixtures on the RabbitMQ bus for their status",
		Long: `jigctl asks test fixtures (JIGs) on the RabbitMQ bus, through their
jig-manager, and reports one honest outcome per fixture: a reply, an error
reply, no fixture, timeout, or broker unreachable. "jigctl list" finds the
fixtures on the bus; "jigctl watch" follows their status.

Data goes to stdout, diagnostics to stderr; -o json gives a stable schema.
An amqps:// --url takes --tls-ca, --tls-cert and --tls-key (or
--tls-external to log in with the certificate); the broker's certificate is
always verified.
Shell completion (of commands, flags and, by a quick broadcast, serials):
  source <(jigctl completion bash)    see "jigctl completion --help" for zsh and fish

` + replyUserHelp + "\n" + exitCodesHelp + "\n" + leaseExitHelp + "\n" + exitCodesNotes,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return g.check()
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.url, "url", mqmanager.DefaultURL, "broker URL (env JIGCTL_URL, then AMQP_URL)")
	pf.DurationVar(&g.timeout, "timeout", 2*time.Second, "deadline of connecting, then of each request: a command may take twice it (env JIGCTL_TIMEOUT)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json (env JIGCTL_OUTPUT)")
	pf.StringVar(&g.reply, "reply", "per-request", "reply mode: per-request, shared or direct (env JIGCTL_REPLY)")
	g.tls.register(pf)
	g.replyUser.flags(pf)
	g.pf = pf
	g.env, g.envErr = applyEnv(pf, os.Getenv)
	root.AddCommand(newFibCmd(g), newPingCmd(g), newStatusCmd(g), newListCmd(g), newStatsCmd(g), newWatchCmd(g))
	root.AddCommand(newQueryCmd(g), newLockCmd(g), newRenewCmd(g), newUnlockCmd(g), newWithLockCmd(g))
	root.AddCommand(newEchoCmd(g))
	return root
}

func (g *globals) check() error {
	if g.envErr != nil {
		return cli.Exit(exitUsage, g.envErr)
	}
	if g.output != "text" && g.output != "json" {
		return cli.Exit(exitUsage, fmt.Errorf("%s: want text or json", g.named("output", "-o", g.output)))
	}
	if g.timeout <= 0 {
		return cli.Exit(exitUsage, fmt.Errorf("%s: must be positive", g.named("timeout", "--timeout", g.timeout)))
	}
	if _, err := mqmanager.ParseReplyMode(g.reply); err != nil {
		return cli.Exit(exitUsage, g.fromEnv("reply", err))
	}
	if err := mqmanager.ValidateURL(g.url); err != nil {
		return cli.Exit(exitUsage, err)
	}
	if _, err := g.tls.broker(g.url); err != nil {
		return cli.Exit(exitUsage, err)
	}
	if err := g.replyUser.check(); err != nil {
		return cli.Exit(exitUsage, g.fromEnv("reply-user-format", err))
	}
	return nil
}

// lifetime is how long a command's client lives: oneShot for a command
// that makes its few requests and exits, ongoing for one that goes on
// asking (watch, lock --wait, with-lock). See ClientConfig.ShortLived.
type lifetime bool

const (
	oneShot lifetime = true
	ongoing lifetime = false
)

// dial connects within the timeout; an unreachable broker exits 5.
func (g *globals) dial(ctx context.Context, life lifetime) (*mqmanager.Client, error) {
	mode, _ := mqmanager.ParseReplyMode(g.reply)
	broker, err := g.tls.broker(g.url)
	if err != nil {
		return nil, cli.Exit(exitUsage, err)
	}
	dctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	cfg := mqmanager.ClientConfig{Broker: broker, ReplyMode: mode, AppID: "jigctl", ShortLived: bool(life)}
	g.replyUser.configure(&cfg, g.stderr)
	c, err := mqmanager.Dial(dctx, cfg)
	if err != nil {
		_, code := classify(err)
		return nil, cli.Exit(code, err)
	}
	return c, nil
}

// dialFor dials for requests of method to serials. When the broker cannot
// be reached, -o json still gives every serial its element of the array,
// with that outcome, as any other failure would; a text report is the one
// error line. A usage error (a bad TLS setting) stays one, and so does any
// error for method "" (with-lock, whose failures are not outcomes).
func (g *globals) dialFor(ctx context.Context, life lifetime, method string, serials ...string) (*mqmanager.Client, error) {
	start := time.Now()
	c, err := g.dial(ctx, life)
	if err == nil || g.output != "json" || method == "" || isUsage(err) {
		return c, err
	}
	outs := make([]outcome, len(serials))
	for i, serial := range serials {
		outs[i] = newOutcome(serial, method, nil, err, ms(time.Since(start))) // the time the dial took
	}
	return nil, g.report(outs, nil)
}

const replyUserHelp = `Forged replies: every fixture's broker user can publish into a reply
queue it has learnt of (every fixture sees every broadcast), so with
--check-reply-user a reply counts only if its user_id, which the broker
validates, is the broker user of the fixture it is from: --reply-user-format
with the serial, "jig-%s" by default (deploy/rabbitmq/add-fixture.sh's
users). Other replies are discarded with a warning on stderr, and the
request waits on for the genuine reply or its --timeout. Without the check
any reply is taken: for development only (the demo's one guest user).
`

// replyUser holds the reply-user check's flags.
type replyUser struct {
	checkReplyUser bool
	format         string
}

func (r *replyUser) flags(pf *pflag.FlagSet) {
	pf.BoolVar(&r.checkReplyUser, "check-reply-user", false,
		"take a reply only from the fixture's broker user, see --reply-user-format (env JIGCTL_CHECK_REPLY_USER)")
	pf.StringVar(&r.format, "reply-user-format", mqmanager.DefaultReplyUserFormat,
		"the `FORMAT` of a fixture's broker user, %s being its serial (env JIGCTL_REPLY_USER_FORMAT)")
}

func (r *replyUser) check() error {
	_, err := mqmanager.ReplyUserFormat(r.format)
	return err
}

// configure sets the check on cfg, with warnings on stderr.
func (r *replyUser) configure(cfg *mqmanager.ClientConfig, stderr io.Writer) {
	if !r.checkReplyUser {
		return
	}
	cfg.CheckReplyUser = true
	cfg.ReplyUser, _ = mqmanager.ReplyUserFormat(r.format) // checked by check
	cfg.Logger = warnLogger(stderr)
}

// warnLogger logs warnings and errors to stderr, without timestamps.
func warnLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}
