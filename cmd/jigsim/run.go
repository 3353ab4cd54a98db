package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jigmq/jigmq/jig/sim"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// exitCode maps run's error to the process exit code.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	default:
		return exitError
	}
}

const usageText = `Usage: jigsim --link PATH [flags]

jigsim plays a test fixture's controller board on a pseudo-terminal. It
points PATH (a symlink, like /dev/serial/by-id/...) at the pty's slave
/dev/pts/N (replacing a board's symlink already there, to a pty: a replug;
never anything else) and answers the line protocol there: *IDN?, STAT?, MEAS:TEMP?,
SYST:ERR?, ECHO <text> (answers <text>); anything else gets
ERR -113,"Undefined header". It has an output and a settable source:
  OUTP ON|OFF (or 1|0)   switch the output; answers OK
  OUTP?                  ON or OFF (OFF at plug-in)
  SOUR:VOLT <volts>      set the source voltage, 0 to 30; answers OK
  SOUR:VOLT?             the source voltage (5.000 at plug-in)
  MEAS:VOLT?             the measured output: the source voltage while the
                         output is on, 0.000 while it is off
Point a jig-manager's serial port at PATH. Stopping jigsim (Ctrl-C,
SIGTERM) is unplugging the board: PATH is removed. Starting it again at the
same PATH is plugging it back in, with a new /dev/pts/N behind it.

Flags:
`

const examplesText = `
Faults:
  none      answer correctly
  silent    never answer (the reader times out)
  garbage   random non-printable bytes, no newline
  error     answer ERR -100,"Command error"
  partial   half an answer line, no terminator
  longline  100 KiB without a newline
  late      answer --late after the command (after the reader's timeout)
  echo      echo the command line, then answer
  banner    print a boot banner and a blank line, then answer (a reset)
  trickle   answer correctly, one byte a millisecond
  double    answer, then the same answer again --late later
  reset     half an answer, then --late later the boot banner, and no answer
  mix       each hit command gets one of the faults above, at random (--seed)

A fault hits one command in --every (default every command), only the
command --only if it is set (then one in --every of those). With --aside,
late answers come from a queue while the board answers the other commands
meanwhile. With --tagged
every answer starts "#N ", N the number of the command it answers (echoes
and banners are not tagged), so a reader's pairing can be checked.

Examples:
  jigsim --link /tmp/jigsim/SIM-0001
  jigsim --link /tmp/jigsim/SIM-0002 --state BUSY --delay 20ms
  jigsim --link /tmp/jigsim/SIM-0003 --fault silent
  jigsim --link /tmp/jigsim/SIM-0004 --tagged --fault late --every 5 --late 1500ms
  jigsim --link /tmp/jigsim/SIM-0005 --tagged --fault late --only STAT? --aside --late 1500ms

Exit codes: 0 ok, 1 error, 2 usage.
`

// options are the parsed flags.
type options struct {
	link, identity, state string
	only                  string
	delay, late           time.Duration
	fault                 sim.Fault
	every, seed           uint64
	tagged, noise, aside  bool
}

// parse reads the flags; -h prints help to stdout and returns flag.ErrHelp.
func parse(args []string, stdout, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("jigsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.link, "link", "", "symlink to create for the board's port, e.g. /tmp/jigsim/SIM-0001 (required)")
	fs.StringVar(&o.identity, "identity", sim.DefaultIdentity, "answer to *IDN?")
	fs.StringVar(&o.state, "state", sim.DefaultState, "answer to STAT?")
	fs.DurationVar(&o.delay, "delay", 0, "wait before each answer, e.g. 20ms (a slow board)")
	fs.TextVar(&o.fault, "fault", sim.FaultNone, "misbehave: "+strings.Join(sim.FaultNames(), "|"))
	fs.Uint64Var(&o.every, "every", 1, "the fault hits one command in N")
	fs.DurationVar(&o.late, "late", sim.DefaultLate, "how late the late fault answers")
	fs.StringVar(&o.only, "only", "", "confine the fault to this command, e.g. STAT? (default: any)")
	fs.BoolVar(&o.aside, "aside", false, "late answers come from a queue; the board answers other commands meanwhile")
	fs.BoolVar(&o.tagged, "tagged", false, `prefix each answer with "#N ", N the number of the command it answers`)
	fs.BoolVar(&o.noise, "noise", false, "send a burst of line noise when plugged in")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the mix fault's choices")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), examplesText)
	}
	help := false
	for _, a := range args {
		help = help || a == "-h" || a == "-help" || a == "--help" || a == "--h"
	}
	if help {
		fs.SetOutput(stdout) // help asked for is output, not an error
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err} // flag has printed it, with the usage
	}
	if err := check(o, fs); err != nil {
		fmt.Fprintln(stderr, "jigsim:", err)
		return o, err
	}
	return o, nil
}

// check validates what flag cannot.
func check(o options, fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return usageError{fmt.Errorf("unexpected argument %q (see jigsim -h)", fs.Arg(0))}
	case o.link == "":
		return usageError{errors.New("--link is required (see jigsim -h)")}
	case o.delay < 0:
		return usageError{fmt.Errorf("--delay %s must not be negative", o.delay)}
	case o.late <= 0:
		return usageError{fmt.Errorf("--late %s must be positive", o.late)}
	case o.every == 0:
		return usageError{errors.New("--every must be at least 1")}
	}
	return nil
}

// run is the whole program: it plugs a board in at --link, prints where,
// and unplugs it when ctx ends.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stdout, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	if err := os.MkdirAll(filepath.Dir(o.link), 0o755); err != nil {
		return fmt.Errorf("jigsim: %w", err)
	}
	b, err := sim.Start(o.link, sim.Config{Identity: o.identity, State: o.state, Delay: o.delay,
		Fault: o.fault, Every: o.every, Late: o.late, Tagged: o.tagged, Noise: o.noise, Seed: o.seed,
		Only: o.only, Aside: o.aside}, logger)
	if err != nil {
		fmt.Fprintln(stderr, "jigsim:", err)
		return err
	}
	fmt.Fprintf(stdout, "jigsim: %s -> %s\n", b.Path(), o.link)
	<-ctx.Done()
	if err := b.Close(); err != nil {
		fmt.Fprintln(stderr, "jigsim:", err)
		return err
	}
	return nil
}
