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
// command line is parsed (which overrides them).
func applyEnv(pf *pflag.FlagSet, getenv func(string) string) error {
	for _, e := range envFlags {
		for _, name := range e.vars {
			v := getenv(name)
			if v == "" {
				continue
			}
			f := pf.Lookup(e.flag)
			if err := f.Value.Set(v); err != nil {
				return fmt.Errorf("%s=%q: %v (as --%s)", name, v, err, e.flag)
			}
			f.DefValue = f.Value.String()
			break
		}
	}
	return nil
}
