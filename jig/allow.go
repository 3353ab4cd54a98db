package jig

import (
	"errors"
	"strings"

	"github.com/jigmq/jigmq/internal/keypath"
)

// Commands says which command lines callers may send to the board
// (Device.Do on their behalf, e.g. jig-manager's Query method).
type Commands struct {
	// Allow lists the allowed commands as patterns: '*' matches any run of
	// characters (none included), every other character itself, ASCII
	// letters in either case (SCPI headers are case-insensitive); the whole
	// command must match. E.g. "MEAS:*?", "*IDN?", "OUTP *". Default: the
	// status queries' commands, exactly (reads only).
	Allow []string `yaml:"allow" json:"allow"`
}

// AllowKey is Commands.Allow's key in a configuration file, which refusals
// name.
const AllowKey = "fixture.commands.allow"

// AllowList is the effective allow list: Commands.Allow, or by default the
// status queries' commands.
func (c Config) AllowList() []string {
	if len(c.Commands.Allow) > 0 {
		return c.Commands.Allow
	}
	c = c.withDefaults()
	out := make([]string, len(c.Queries))
	for i, q := range c.Queries {
		out[i] = q.Command
	}
	return out
}

// Allows reports whether command matches a pattern of the allow list.
func (c Config) Allows(command string) bool {
	for _, p := range c.AllowList() {
		if matchPattern(p, command) {
			return true
		}
	}
	return false
}

// matchPattern matches s against p, '*' being any run of characters.
func matchPattern(p, s string) bool {
	lit, rest, star := strings.Cut(p, "*")
	if !star {
		return strings.EqualFold(p, s)
	}
	if len(s) < len(lit) || !strings.EqualFold(s[:len(lit)], lit) {
		return false
	}
	s = s[len(lit):]
	for i := 0; i <= len(s); i++ {
		if matchPattern(rest, s[i:]) {
			return true
		}
	}
	return false
}

// validate checks each pattern could match a valid command line, under
// its key in Commands.
func (c Commands) validate() error {
	var errs []error
	for i, p := range c.Allow {
		if err := ValidateCommand(p); err != nil {
			errs = append(errs, &keypath.Error{Path: keypath.Index("allow", i), Err: err})
		}
	}
	return errors.Join(errs...)
}
