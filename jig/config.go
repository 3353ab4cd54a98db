package jig

import (
	"errors"
	"fmt"
	"time"

	"go.bug.st/serial"
)

// Query is one command of a status read: Command is written to the board,
// and the answer line is reported under Name in Status.Fields.
type Query struct {
	Name    string `yaml:"name" json:"name"`
	Command string `yaml:"command" json:"command"`
}

// Config is how to reach and talk to a fixture's controller board. A zero
// field means its default (see DefaultConfig), so Config{Port: p} is valid.
type Config struct {
	// Port is the device path, e.g. /dev/ttyUSB0, or better a stable
	// /dev/serial/by-id/... symlink. Required.
	Port string `yaml:"port" json:"port"`
	// Baud is the line speed in bit/s. Default 115200.
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
	QueryTimeout time.Duration `yaml:"query_timeout" json:"query_timeout"`
	// MaxLine bounds an answer line, in bytes without its terminator; a
	// longer answer is an error, never unbounded memory. Default 4096.
	MaxLine int `yaml:"max_line" json:"max_line"`
	// Queries make up one status read, in order. Names must be unique.
	// Default: identity "*IDN?", state "STAT?".
	Queries []Query `yaml:"queries" json:"queries"`
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

// maxLineLimit caps MaxLine, so a typo cannot ask for gigabytes.
const maxLineLimit = 1 << 20

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
		Queries:      []Query{{QueryIdentity, "*IDN?"}, {QueryState, "STAT?"}},
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

// Validate reports every problem in c (zero fields taking their defaults),
// joined with errors.Join; nil if c is usable.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("jig: "+format, args...)) }
	if c.Port == "" {
		bad("port is required")
	}
	if c.Baud < 0 {
		bad("baud %d must be positive", c.Baud)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		bad("data_bits %d must be 5, 6, 7 or 8", c.DataBits)
	}
	if _, ok := parities[c.Parity]; !ok {
		bad("parity %q must be none, odd, even, mark or space", c.Parity)
	}
	if c.StopBits == "1.5" {
		bad(`stop_bits "1.5" is not supported on Linux (termios has only 1 and 2)`)
	} else if _, ok := stopBits[c.StopBits]; !ok {
		bad(`stop_bits %q must be "1" or "2"`, c.StopBits)
	}
	switch c.LineEnding {
	case "\n", "\r\n", "\r":
	default:
		bad(`line_ending %q must be "\n", "\r\n" or "\r"`, c.LineEnding)
	}
	if c.QueryTimeout < 0 {
		bad("query_timeout %s must be positive", c.QueryTimeout)
	}
	if c.MaxLine < 0 || c.MaxLine > maxLineLimit {
		bad("max_line %d must be between 1 and %d", c.MaxLine, maxLineLimit)
	}
	if c.ReconnectMin < 0 || c.ReconnectMax < 0 || c.ReconnectMin > c.ReconnectMax {
		bad("reconnect_min %s and reconnect_max %s must be positive, min <= max", c.ReconnectMin, c.ReconnectMax)
	}
	errs = append(errs, validateQueries(c.Queries)...)
	return errors.Join(errs...)
}

// validateQueries checks names are present and unique, and commands are one
// line of printable ASCII.
func validateQueries(qs []Query) []error {
	var errs []error
	seen := make(map[string]bool, len(qs))
	for i, q := range qs {
		switch {
		case q.Name == "":
			errs = append(errs, fmt.Errorf("jig: queries[%d]: name is required", i))
		case seen[q.Name]:
			errs = append(errs, fmt.Errorf("jig: queries[%d]: duplicate name %q", i, q.Name))
		}
		seen[q.Name] = true
		if q.Command == "" || !printable(q.Command) {
			errs = append(errs, fmt.Errorf("jig: queries[%d] (%s): command %q must be non-empty printable ASCII on one line", i, q.Name, q.Command))
		}
	}
	return errs
}

// printable reports whether s is only printable ASCII or tabs.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if !printableByte(s[i]) {
			return false
		}
	}
	return true
}

func printableByte(c byte) bool { return (c >= 0x20 && c < 0x7f) || c == '\t' }
