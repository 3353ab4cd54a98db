package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// allowOutputs lets the fixture's Query send the jigsim board's reads and
// writes.
func allowOutputs(c *Config) {
	c.Fixture.Commands.Allow = []string{"*IDN?", "STAT?", "MEAS:*?", "OUTP *", "OUTP?", "SOUR:VOLT *"}
}

func call[A, R any](t *testing.T, f *fixture, m jigapi.Method[A, R], args A) (R, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return mqmanager.Call(ctx, f.client, f.serial, m, args)
}

// wantRefused checks an error reply's code and message, and that the
// board received no command meanwhile.
func wantRefused(t *testing.T, f *fixture, before uint64, err error, code, msg string) {
	t.Helper()
	var re *mqmanager.RemoteError
	if !errors.As(err, &re) || re.Code != code || !strings.Contains(re.Message, msg) {
		t.Fatalf("want %s containing %q, got %v", code, msg, err)
	}
	if n := f.board.Queries(); n != before {
		t.Fatalf("a refused command reached the board: %d commands, had %d", n, before)
	}
}

func TestQueryReadsTheBoard(t *testing.T) {
	f := startFixture(t, allowOutputs)
	r, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "MEAS:TEMP?"})
	if err != nil || r.Answer != "23.5" || r.Command != "MEAS:TEMP?" || r.ReadAt.IsZero() || r.ReadMS <= 0 {
		t.Fatalf("query: %+v %v", r, err)
	}
	if r, err = call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "*IDN?"}); err != nil || r.Answer != "SIM,"+f.serial {
		t.Fatalf("*IDN?: %+v %v", r, err)
	}
	_, err = call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "MEAS:NOPE?"})
	wantCode(t, err, jigapi.CodeFixtureError)
}

func TestQueryDefaultAllowsStatusQueriesOnly(t *testing.T) {
	f := startFixture(t, nil)
	if r, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "STAT?"}); err != nil || r.Answer != "READY" {
		t.Fatalf("STAT?: %+v %v", r, err)
	}
	n := f.board.Queries()
	_, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "MEAS:TEMP?"})
	wantRefused(t, f, n, err, jigapi.CodeForbidden,
		`command "MEAS:TEMP?" is not allowed by fixture.commands.allow [*IDN?, STAT?]`)
}

// TestQueryInjection: anything that is not one command line is refused
// whole, before the allow list, and never sent.
func TestQueryInjection(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Fixture.Commands.Allow = []string{"*"} })
	n := f.board.Queries()
	for cmd, msg := range map[string]string{
		"":                       "command is empty",
		" ":                      `command " " is blank`,
		"   ":                    `command "   " is blank`,
		"MEAS:TEMP?;OUTP ON":     "contains ';'",
		"MEAS:TEMP?\nOUTP ON":    "has byte 0x0a",
		"MEAS:TEMP?\rOUTP ON":    "has byte 0x0d",
		"OUTP?\x00":              "has byte 0x00",
		"OUTP\tON":               "has byte 0x09",
		"MEAS:TEMP?\u00a0":       "has byte 0xc2",
		strings.Repeat("A", 257): "longer than 256",
	} {
		_, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: cmd})
		wantRefused(t, f, n, err, jigapi.CodeBadRequest, msg)
	}
	r, err := f.ask(t, jigapi.Query.Name(), map[string]any{"command": "STAT?", "commands": "OUTP ON"}, 5*time.Second)
	if err == nil {
		t.Fatalf("unknown key accepted: %s", r.Result)
	}
	wantRefused(t, f, n, err, jigapi.CodeBadRequest, "commands")
}

// TestQueryNotOnBroadcast: a broadcast Query is refused by every manager,
// and its board never sees the command.
func TestQueryNotOnBroadcast(t *testing.T) {
	f := startFixture(t, func(c *Config) { c.Fixture.Commands.Allow = []string{"*"} })
	n := f.board.Queries()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var mine error
	f.client.Broadcast(ctx, jigapi.Query.Name(), jigapi.QueryArgs{Command: "STAT?"}, func(r *mqmanager.Reply, err error) bool {
		var re *mqmanager.RemoteError
		if errors.As(err, &re) && re.Serial == f.serial {
			mine = err
			return false
		}
		return true
	})
	wantRefused(t, f, n, mine, jigapi.CodeBadRequest, "")
}
