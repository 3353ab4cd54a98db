package jig

import (
	"math"
	"regexp"
	"time"

	"go.bug.st/serial"
)

// Query is one command of a status read: Command is written to the board,
// and the answer line is reported under Name in Status.Fields. Pattern, if
// set, is a regular expression (Go syntax, unanchored: anchor it with ^ and
// $) the answer must match; an answer that does not is a *FixtureError
// naming the query, never a field value.
type Query struct {
	Name    string `yaml:"name" json:"name"`
	Command string `yaml:"command" json:"command"`
	Pattern string `yaml:"pattern,omitempty" json:"pattern,omitempty"`
}

// Resync is how a conversation that is out of step (after a timeout, a
// caller giving up mid-exchange, or any framing trouble) is brought back in
// step before an answer is trusted again. See the package documentation.
type Resync struct {
	// Quiet is the guard period: the input must be silent this long before
	// the probe is sent; after its answer, the input must be silent for a
	// query timeout, or for Quiet with a nonce probe when no answer is owed
	// or written off since the port opened (see Late). Default 50ms, at most 5s, below QueryTimeout.
	Quiet time.Duration `yaml:"quiet" json:"quiet"`
	// Probe is the command whose answer shows the board is in step. If it
	// contains "{nonce}", that is replaced by a fresh random token which the
	// answer must contain: a proof the answer is to this probe (for boards
	// with an echo-style command). Otherwise, without a Pattern, it is sent
	// twice and both answers must be the same. Default "*IDN?".
	Probe string `yaml:"probe" json:"probe"`
	// Pattern, if set, is a regular expression the probe's answer must
	// match; the probe is then sent once. Default "" (any answer that is
	// not blank, an echo or ERR, the same twice).
	Pattern string `yaml:"pattern" json:"pattern"`
	// Late is how long after its command an answer may still come. A
	// command left unanswered by its query timeout (or by a caller giving
	// up, or with another line refused in its answer's place) is owed its
	// answer this long from its write, and no command is written while an
	// answer is owed: the next conversation first waits for it or for this
	// to pass, so that a late answer is not taken for a later command's
	// (owed.go says which lines pay a debt, and what that leaves). An
	// answer later still may be. Default 5s, at most 1m; less than
	// QueryTimeout is raised to it.
	Late time.Duration `yaml:"late" json:"late"`
}

// Config is how to reach and talk to a fixture's controller board. A zero
// field means its default (see DefaultConfig), so Config{Port: p} is valid.
type Config struct {
	// Port is the device path, e.g. /dev/ttyUSB0, or better a stable
	// /dev/serial/by-id/... symlink. Required.
	Port string `yaml:"port" json:"port"`
	// Baud is the line speed in bit/s, 1 to 4294967295 (termios takes a
	// uint32). Default 115200.
	Baud int `yaml:"baud" json:"baud"`
	// DataBits is 5, 6, 7 or 8. Default 8.
	DataBits int `yaml:"data_bits" json:"data_bits"`
	// Parity is none, odd, even, mark or space. Default none.
	Parity string `yaml:"parity" json:"parity"`
	// StopBits is "1" or "2" ("1.5" is refused: Linux termios cannot set
	// it). Default "1".
	StopBits string `yaml:"stop_bits" json:"stop_bits"`
	// LineEnding is written after each command: "\n", "\r\n" or "\r".
	// Default "\n". Answers may end in "\n" or "\r\n" either way.
	LineEnding string `yaml:"line_ending" json:"line_ending"`
	// QueryTimeout bounds each query, from write to answer line. Default 1s.
	// Every resync ends in this much silence, the one after each open of
	// the port too: keep it well below the deadlines of the Device's
	// callers (docs/protocol.md).
	QueryTimeout time.Duration `yaml:"query_timeout" json:"query_timeout"`
	// MaxLine bounds an answer line, in bytes without its terminator; a
	// longer answer is an error, never unbounded memory. Default 4096.
	MaxLine int `yaml:"max_line" json:"max_line"`
	// Echo says the board echoes each command line before its answer: the
	// echo is read and checked, then the answer. Default false; an answer
	// equal to its command is then taken for an echo and skipped.
	Echo bool `yaml:"echo" json:"echo"`
	// Banner, if set, is a regular expression for the board's boot banner:
	// a line in which it is found is never an answer, and puts the
	// conversation out of step. It is looked for anywhere in the line, a
	// leading ^ dropped, because a board that resets in the middle of an
	// answer glues its banner to the cut line ("REA" + "ACME boot v2").
	// Default "".
	Banner string `yaml:"banner" json:"banner"`
	// Resync: see Resync.
	Resync Resync `yaml:"resync" json:"resync"`
	// Queries make up one status read, in order. Names must be unique.
	// Default: identity "*IDN?" and state "STAT?", whose answer must be
	// one word (StatePattern): a line cut short by a reset and glued to the
	// boot banner is not. A query whose command is the resync probe's, when
	// the probe is sent twice (no nonce, no pattern), must answer exactly
	// as the probe did (the identity, by default).
	Queries []Query `yaml:"queries" json:"queries"`
	// Commands says which commands callers may send through (Allows).
	Commands Commands `yaml:"commands" json:"commands"`
	// ReconnectMin and ReconnectMax bound the backoff between attempts to
	// reopen a port that is gone; it doubles from min to max. Defaults
	// 100ms and 1s.
	ReconnectMin time.Duration `yaml:"reconnect_min" json:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max" json:"reconnect_max"`
}

// Names of the queries whose answers fill Status.Identity and Status.State.
const (
	QueryIdentity = "identity"
	QueryState    = "state"
)

// StatePattern is the default state query's: a state is one word.
const StatePattern = `^[A-Za-z][A-Za-z0-9_-]*$`

// Nonce is the placeholder in Resync.Probe replaced by a fresh token.
const Nonce = "{nonce}"

// maxLineLimit caps MaxLine, so a typo cannot ask for gigabytes.
const maxLineLimit = 1 << 20

// maxBaud caps Baud: the serial library narrows it to termios' uint32.
const maxBaud int64 = math.MaxUint32

// maxQuiet caps Resync.Quiet, so a resync stays bounded.
const maxQuiet = 5 * time.Second

// maxLate caps Resync.Late, so a conversation's wait stays bounded.
const maxLate = time.Minute

// DefaultConfig is the configuration with every default filled in and no
// Port.
func DefaultConfig() Config {
	return Config{
		Baud:         115200,
		DataBits:     8,
		Parity:       "none",
		StopBits:     "1",
		LineEnding:   "\n",
		QueryTimeout: time.Second,
		MaxLine:      4096,
		Resync:       Resync{Quiet: 50 * time.Millisecond, Probe: "*IDN?", Late: 5 * time.Second},
		Queries: []Query{{Name: QueryIdentity, Command: "*IDN?"},
			{Name: QueryState, Command: "STAT?", Pattern: StatePattern}},
		ReconnectMin: 100 * time.Millisecond,
		ReconnectMax: time.Second,
	}
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setZero(&c.Baud, d.Baud)
	setZero(&c.DataBits, d.DataBits)
	setZero(&c.Parity, d.Parity)
	setZero(&c.StopBits, d.StopBits)
	setZero(&c.LineEnding, d.LineEnding)
	setZero(&c.QueryTimeout, d.QueryTimeout)
	setZero(&c.MaxLine, d.MaxLine)
	setZero(&c.Resync.Quiet, d.Resync.Quiet)
	setZero(&c.Resync.Probe, d.Resync.Probe)
	setZero(&c.Resync.Late, d.Resync.Late)
	setZero(&c.ReconnectMin, d.ReconnectMin)
	setZero(&c.ReconnectMax, d.ReconnectMax)
	if len(c.Queries) == 0 {
		c.Queries = d.Queries
	}
	return c
}

func setZero[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

var parities = map[string]serial.Parity{
	"none": serial.NoParity, "odd": serial.OddParity, "even": serial.EvenParity,
	"mark": serial.MarkParity, "space": serial.SpaceParity,
}

var stopBits = map[string]serial.StopBits{"1": serial.OneStopBit, "2": serial.TwoStopBits}

// mode is the serial line settings of a validated config.
func (c Config) mode() *serial.Mode {
	return &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits,
		Parity: parities[c.Parity], StopBits: stopBits[c.StopBits]}
}

// compile returns the regular expression s, nil for "". s was validated.
func compile(s string) *regexp.Regexp {
	if s == "" {
		return nil
	}
	return regexp.MustCompile(s)
}
