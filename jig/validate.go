package jig

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jigmq/jigmq/internal/keypath"
)

// MaxCommand is the longest command line ValidateCommand accepts, in bytes
// without the line ending: longer than any SCPI query, short enough for
// the smallest board input buffer commonly met.
const MaxCommand = 256

// ValidateCommand reports whether s can be sent as one command line: 1 to
// MaxCommand bytes of printable ASCII (0x20 to 0x7e), so no line
// terminator, no control byte and no tab, and no ';', the SCPI separator
// that would make one line several commands with several answers.
func ValidateCommand(s string) error {
	switch {
	case s == "":
		return errors.New("command is empty")
	case len(s) > MaxCommand:
		return fmt.Errorf("command is %d bytes, longer than %d", len(s), MaxCommand)
	case strings.Contains(s, ";"):
		return fmt.Errorf("command %q contains ';': one line must be one command", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("command %q has byte 0x%02x at %d: only printable ASCII, on one line", s, c, i)
		}
	}
	return nil
}

// Validate reports every problem in c (zero fields taking their defaults),
// each an error under its key path relative to Config (e.g. "baud",
// "queries[1].name"), joined with errors.Join; nil if c is usable.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, keypath.Errorf(key, format, args...)) }
	if c.Port == "" {
		bad("port", "required")
	}
	if c.Baud < 0 || int64(c.Baud) > maxBaud {
		bad("baud", "%d is not between 1 and %d (0: the default)", c.Baud, maxBaud)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		bad("data_bits", "%d is not 5, 6, 7 or 8", c.DataBits)
	}
	if _, ok := parities[c.Parity]; !ok {
		bad("parity", "%q is not none, odd, even, mark or space", c.Parity)
	}
	if c.StopBits == "1.5" {
		bad("stop_bits", `"1.5" is not supported on Linux (termios has only 1 and 2)`)
	} else if _, ok := stopBits[c.StopBits]; !ok {
		bad("stop_bits", `%q is not "1" or "2"`, c.StopBits)
	}
	switch c.LineEnding {
	case "\n", "\r\n", "\r":
	default:
		bad("line_ending", `%q is not "\n", "\r\n" or "\r"`, c.LineEnding)
	}
	if c.QueryTimeout < 0 {
		bad("query_timeout", "%s is negative (0: the default)", c.QueryTimeout)
	} else if c.Resync.Quiet <= maxQuiet && c.Resync.Quiet >= c.QueryTimeout {
		// the resync waits for quiet within a query timeout: it never would
		bad("resync.quiet", "%s is not below query_timeout %s", c.Resync.Quiet, c.QueryTimeout)
	}
	if c.MaxLine < 0 || c.MaxLine > maxLineLimit {
		bad("max_line", "%d is not between 1 and %d (0: the default)", c.MaxLine, maxLineLimit)
	}
	if c.ReconnectMin < 0 || c.ReconnectMax < 0 || c.ReconnectMin > c.ReconnectMax {
		bad("reconnect_min", "%s and reconnect_max %s must be positive, min <= max", c.ReconnectMin, c.ReconnectMax)
	}
	errs = append(errs, checkPattern("banner", c.Banner), keypath.Under("resync", c.Resync.validate()),
		validateQueries(c.Queries), keypath.Under("commands", c.Commands.validate()))
	return keypath.Join(errs...)
}

// validate checks the resync settings, under their keys in Resync.
func (r Resync) validate() error {
	var errs []error
	if r.Quiet < 0 || r.Quiet > maxQuiet {
		errs = append(errs, keypath.Errorf("quiet", "%s is not between 1ns and %s", r.Quiet, maxQuiet))
	}
	if r.Late < 0 || r.Late > maxLate {
		errs = append(errs, keypath.Errorf("late", "%s is not between 1ns and %s (0: the default)", r.Late, maxLate))
	}
	probe := strings.ReplaceAll(r.Probe, Nonce, "0123456789abcdef")
	if err := ValidateCommand(probe); err != nil {
		errs = append(errs, &keypath.Error{Path: "probe", Err: err})
	}
	return errors.Join(append(errs, checkPattern("pattern", r.Pattern))...)
}

// validateQueries checks names are present and unique, commands are valid
// command lines and patterns compile, each under "queries[i]".
func validateQueries(qs []Query) error {
	var errs []error
	seen := make(map[string]bool, len(qs))
	for i, q := range qs {
		key := keypath.Index("queries", i)
		switch {
		case q.Name == "":
			errs = append(errs, keypath.Errorf(key+".name", "required"))
		case seen[q.Name]:
			errs = append(errs, keypath.Errorf(key+".name", "duplicate name %q", q.Name))
		}
		seen[q.Name] = true
		if err := ValidateCommand(q.Command); err != nil {
			errs = append(errs, keypath.Errorf(key+".command", "%w", err))
		}
		errs = append(errs, keypath.Under(key, checkPattern("pattern", q.Pattern)))
	}
	return keypath.Join(errs...)
}

// checkPattern reports a regular expression that does not compile, under
// key.
func checkPattern(key, s string) error {
	if s == "" {
		return nil
	}
	if _, err := regexp.Compile(s); err != nil {
		return &keypath.Error{Path: key, Err: err}
	}
	return nil
}

// printableByte reports whether c may appear in an answer line: printable
// ASCII or a tab.
func printableByte(c byte) bool { return (c >= 0x20 && c < 0x7f) || c == '\t' }

// printable reports whether s is only bytes printableByte accepts.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if !printableByte(s[i]) {
			return false
		}
	}
	return true
}
