package jig_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"gopkg.in/yaml.v3"
)

func TestDefaultConfig(t *testing.T) {
	c := jig.DefaultConfig()
	if c.Baud != 115200 || c.DataBits != 8 || c.Parity != "none" || c.StopBits != "1" ||
		c.LineEnding != "\n" || c.QueryTimeout != time.Second || c.MaxLine != 4096 ||
		c.ReconnectMin != 100*time.Millisecond || c.ReconnectMax != time.Second ||
		len(c.Queries) != 2 || c.Queries[0] != (jig.Query{Name: "identity", Command: "*IDN?"}) ||
		c.Queries[1] != (jig.Query{Name: "state", Command: "STAT?", Pattern: jig.StatePattern}) {
		t.Errorf("DefaultConfig = %+v", c)
	}
	if err := c.Validate(); err == nil || err.Error() != "port: required" {
		t.Errorf("no port: %v", err)
	}
	if err := (jig.Config{Port: "/dev/ttyUSB0"}).Validate(); err != nil {
		t.Errorf("zero fields take defaults: %v", err)
	}
}

// TestValidateJoinsEveryProblem: every problem, each on a line under its
// key path relative to Config, which jig-manager prefixes with "fixture.".
func TestValidateJoinsEveryProblem(t *testing.T) {
	c := jig.Config{
		Baud: -1, DataBits: 9, Parity: "weird", StopBits: "1.5", LineEnding: ";",
		QueryTimeout: -time.Second, MaxLine: -2, ReconnectMin: time.Second, ReconnectMax: time.Millisecond,
		Queries: []jig.Query{{Name: "a", Command: "X?"}, {Name: "a", Command: "Y?\n"}, {Command: "Z?"}},
	}
	err := c.Validate()
	want := []string{
		"port: required",
		"baud: -1 is not between 1 and 4294967295 (0: the default)",
		"data_bits: 9 is not 5, 6, 7 or 8",
		`parity: "weird" is not none, odd, even, mark or space`,
		`stop_bits: "1.5" is not supported on Linux (termios has only 1 and 2)`,
		`line_ending: ";" is not "\n", "\r\n" or "\r"`,
		"query_timeout: -1s is negative (0: the default)",
		"max_line: -2 is not between 1 and 1048576 (0: the default)",
		"reconnect_min: 1s and reconnect_max 1ms must be positive, min <= max",
		`queries[1].name: duplicate name "a"`,
		`queries[1].command: command "Y?\n" has byte 0x0a at 2: only printable ASCII, on one line`,
		"queries[2].name: required",
	}
	if got := strings.Split(fmt.Sprint(err), "\n"); !slices.Equal(got, want) {
		t.Errorf("Validate() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := jig.Open(c, nil); err == nil {
		t.Error("Open accepted an invalid config")
	}
}

// TestValidateRanges: a value narrowed later (baud to termios' uint32) or
// past its bound is refused under its key, never wrapped.
func TestValidateRanges(t *testing.T) {
	if strconv.IntSize < 64 {
		t.Skip("an int cannot hold a baud past termios' uint32")
	}
	u32 := int64(math.MaxUint32) // a variable: the test compiles where int has 32 bits
	for _, tc := range []struct {
		c    jig.Config
		want string // "" for valid
	}{
		{jig.Config{Baud: 1}, ""},
		{jig.Config{Baud: int(u32)}, ""},
		{jig.Config{Baud: int(u32 + 1)}, "baud: 4294967296 is not between 1 and 4294967295 (0: the default)"},
		{jig.Config{Baud: -5}, "baud: -5 is not between 1 and 4294967295 (0: the default)"},
		{jig.Config{MaxLine: 1 << 20}, ""},
		{jig.Config{MaxLine: 1<<20 + 1}, "max_line: 1048577 is not between 1 and 1048576 (0: the default)"},
		{jig.Config{Resync: jig.Resync{Quiet: 6 * time.Second}}, "resync.quiet: 6s is not between 1ns and 5s"},
		{jig.Config{Resync: jig.Resync{Late: 2 * time.Minute}}, "resync.late: 2m0s is not between 1ns and 1m0s (0: the default)"},
		{jig.Config{QueryTimeout: 300 * time.Millisecond, Resync: jig.Resync{Quiet: 500 * time.Millisecond}},
			"resync.quiet: 500ms is not below query_timeout 300ms"},
		{jig.Config{Resync: jig.Resync{Late: -time.Second}}, "resync.late: -1s is not between 1ns and 1m0s (0: the default)"},
		{jig.Config{Commands: jig.Commands{Allow: []string{"A?", ""}}}, "commands.allow[1]: command is empty"},
	} {
		tc.c.Port = "/dev/x"
		if err := tc.c.Validate(); fmt.Sprint(err) != tc.want && !(err == nil && tc.want == "") {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	src := `
port: /dev/serial/by-id/usb-FTDI-if00
baud: 9600
parity: even
stop_bits: "2"
line_ending: "\r\n"
query_timeout: 250ms
max_line: 512
queries:
  - {name: identity, command: "*IDN?"}
  - {name: temp, command: "MEAS:TEMP?"}
reconnect_min: 50ms
reconnect_max: 2s
`
	c := jig.DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Baud != 9600 || c.DataBits != 8 || c.Parity != "even" || c.StopBits != "2" || c.LineEnding != "\r\n" ||
		c.QueryTimeout != 250*time.Millisecond || c.MaxLine != 512 || len(c.Queries) != 2 ||
		c.Queries[1].Command != "MEAS:TEMP?" || c.ReconnectMax != 2*time.Second {
		t.Errorf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestErrorMessages(t *testing.T) {
	fe := &jig.FixtureError{Command: "STAT?", Answer: `ERR -100,"Command error"`}
	if s := fe.Error(); !strings.Contains(s, "STAT?") || !strings.Contains(s, "Command error") {
		t.Errorf("FixtureError = %q", s)
	}
	if errors.Is(jig.ErrTimeout, jig.ErrUnavailable) {
		t.Error("sentinels overlap")
	}
}

func TestValidateCommand(t *testing.T) {
	for _, ok := range []string{"*IDN?", "MEAS:VOLT? (@1)", strings.Repeat("A", jig.MaxCommand)} {
		if err := jig.ValidateCommand(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "A?;B?", "A?\n", "A?\r", "\tA?", "\xffA", strings.Repeat("A", jig.MaxCommand+1)} {
		if err := jig.ValidateCommand(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateConversationKeys(t *testing.T) {
	c := jig.Config{Port: "/dev/x", Banner: "(", Resync: jig.Resync{Quiet: time.Minute, Probe: "A;B", Pattern: "["},
		Queries: []jig.Query{{Name: "a", Command: "A?", Pattern: "*"}}}
	err := c.Validate()
	for _, w := range []string{"banner", "resync.quiet", "resync.probe", "resync.pattern", "queries[0].pattern"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v; lacks %q", err, w)
		}
	}
	d := jig.DefaultConfig()
	if d.Resync.Quiet != 50*time.Millisecond || d.Resync.Probe != "*IDN?" || d.Echo || d.Banner != "" {
		t.Errorf("defaults %+v", d)
	}
	if err := (jig.Config{Port: "/dev/x", Resync: jig.Resync{Probe: "ECHO {nonce}"}}).Validate(); err != nil {
		t.Errorf("nonce probe: %v", err)
	}
}
