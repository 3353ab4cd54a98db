package jig

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
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
// each with its key, joined with errors.Join; nil if c is usable.
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
	errs = append(errs, checkPattern("banner", c.Banner)...)
	errs = append(errs, c.Resync.validate()...)
	errs = append(errs, validateQueries(c.Queries)...)
	errs = append(errs, c.Commands.validate()...)
	return errors.Join(errs...)
}

// validate checks the resync settings, under their key path.
func (r Resync) validate() []error {
	var errs []error
	if r.Quiet < 0 || r.Quiet > maxQuiet {
		errs = append(errs, fmt.Errorf("jig: resync.quiet %s must be between 1ns and %s", r.Quiet, maxQuiet))
	}
	probe := strings.ReplaceAll(r.Probe, Nonce, "0123456789abcdef")
	if err := ValidateCommand(probe); err != nil {
		errs = append(errs, fmt.Errorf("jig: resync.probe: %w", err))
	}
	return append(errs, checkPattern("resync.pattern", r.Pattern)...)
}

// validateQueries checks names are present and unique, commands are valid
// command lines and patterns compile.
func validateQueries(qs []Query) []error {
	var errs []error
	seen := make(map[string]bool, len(qs))
	for i, q := range qs {
		key := fmt.Sprintf("queries[%d]", i)
		switch {
		case q.Name == "":
			errs = append(errs, fmt.Errorf("jig: %s.name is required", key))
		case seen[q.Name]:
			errs = append(errs, fmt.Errorf("jig: %s.name: duplicate name %q", key, q.Name))
		}
		seen[q.Name] = true
		if err := ValidateCommand(q.Command); err != nil {
			errs = append(errs, fmt.Errorf("jig: %s.command (%s): %w", key, q.Name, err))
		}
		errs = append(errs, checkPattern(key+".pattern", q.Pattern)...)
	}
	return errs
}

// checkPattern reports a regular expression that does not compile.
func checkPattern(key, s string) []error {
	if s == "" {
		return nil
	}
	if _, err := regexp.Compile(s); err != nil {
		return []error{fmt.Errorf("jig: %s: %w", key, err)}
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
