package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

// envFlags are the flags whose defaults come from the environment: the
// first variable set of each list. The flag's own parser reads the value,
// so a value it would refuse on the command line is refused from the
// environment too: a usage error naming the variable, never ignored.
var envFlags = []struct {
	flag string
	vars []string
}{
	{"url", []string{"JIGCTL_URL", "AMQP_URL"}},
	{"timeout", []string{"JIGCTL_TIMEOUT"}},
	{"output", []string{"JIGCTL_OUTPUT"}},
	{"reply", []string{"JIGCTL_REPLY"}},
	{"check-reply-user", []string{"JIGCTL_CHECK_REPLY_USER"}},
	{"reply-user-format", []string{"JIGCTL_REPLY_USER_FORMAT"}},
	{"tls-ca", []string{"JIGCTL_TLS_CA"}},
	{"tls-cert", []string{"JIGCTL_TLS_CERT"}},
	{"tls-key", []string{"JIGCTL_TLS_KEY"}},
	{"tls-server-name", []string{"JIGCTL_TLS_SERVER_NAME"}},
	{"tls-external", []string{"JIGCTL_TLS_EXTERNAL"}},
}

// applyEnv sets the flags' defaults from the environment, before the
// command line is parsed (which overrides them), and returns which
// variable set each flag it set.
func applyEnv(pf *pflag.FlagSet, getenv func(string) string) (from map[string]string, err error) {
	from = map[string]string{}
	for _, e := range envFlags {
		for _, name := range e.vars {
			v := getenv(name)
			if v == "" {
				continue
			}
			f := pf.Lookup(e.flag)
			if err := f.Value.Set(v); err != nil {
				return from, fmt.Errorf("%s=%q: %v (as --%s)", name, v, err, e.flag)
			}
			f.DefValue, from[e.flag] = f.Value.String(), name
			break
		}
	}
	return from, nil
}

// envVar is the environment variable flag's value came from, if it did:
// one applyEnv used, and the command line did not override.
func (g *globals) envVar(flag string) (string, bool) {
	name, ok := g.env[flag]
	return name, ok && !g.pf.Changed(flag)
}

// fromEnv prefixes err, about flag's value, with the environment variable
// the value came from, if it did (an error that names the value already).
func (g *globals) fromEnv(flag string, err error) error {
	if name, ok := g.envVar(flag); ok {
		return fmt.Errorf("%s (as --%s): %w", name, flag, err)
	}
	return err
}

// named is how an error names a global flag's value: as the command line
// gave it ("-o \"yaml\""), or as the environment variable it came from
// when the command line did not ("JIGCTL_OUTPUT=\"yaml\" (as -o)").
func (g *globals) named(flag, shown string, value any) string {
	if name, ok := g.envVar(flag); ok {
		return fmt.Sprintf("%s=%q (as %s)", name, fmt.Sprint(value), shown)
	}
	return fmt.Sprintf("%s %q", shown, fmt.Sprint(value))
}
