package manager

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/internal/keypath"
)

// problems is what jig-manager reports of a file: its decode problems and
// Validate's, at once (cmd/jig-manager's load).
func problems(yaml string) (error, bool) {
	cfg, err := Decode(strings.NewReader(yaml))
	if !keypath.Partial(err) {
		return err, false
	}
	return keypath.Report(err, cfg.Validate()), true
}

// TestLoadReportsEveryProblem: unknown keys, type errors and Validate's
// problems, every one at once, each under its full key path; a value that
// did not decode is reported once, not again as the default it left.
func TestLoadReportsEveryProblem(t *testing.T) {
	const ok = "serial: JIG-0001\nfixture: {port: /dev/x}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"valid", ok, nil},
		{"tester's file", "serial: JIG-0001\nbroker:\n  prefetch: 100000\nfixture:\n  port: /dev/x\n" +
			"  querytimeout: 2s\n  baud: fast\n  parity: weird\nlease:\n  max_ttl: 48h\n", []string{
			"fixture.querytimeout: unknown key (line 6)",
			`fixture.baud: "fast" is not an integer (line 7)`,
			"broker.prefetch: 100000 is not between 0 (the default) and 65535",
			`fixture.parity: "weird" is not none, odd, even, mark or space`,
			"lease.max_ttl: 48h0m0s is not between 1s and 24h0m0s"}},
		{"prefetch wraps no more", ok + "broker: {prefetch: 65536}\n",
			[]string{"broker.prefetch: 65536 is not between 0 (the default) and 65535"}},
		{"heartbeat narrowed", ok + "broker: {heartbeat: 100000s}\n",
			[]string{"broker.heartbeat: 27h46m40s is not 0 (the default) or between 1s and 18h12m15s"}},
		{"baud narrowed", "serial: JIG-0001\nfixture: {port: /dev/x, baud: 5000000000}\n",
			[]string{"fixture.baud: 5000000000 is not between 1 and 4294967295 (0: the default)"}},
		{"section not a mapping", "serial: JIG-0001\nfixture: /dev/x\n",
			[]string{`fixture: "/dev/x" is not a mapping (line 2)`}},
		{"item not decoded", ok + "events: {heartbeat: often}\nsecurity: {controller_users: ctl}\n", []string{
			`events.heartbeat: "often" is not a duration (e.g. 250ms, 5s, 1h) (line 3)`,
			`security.controller_users: "ctl" is not a list (line 4)`}},
		{"query not decoded", "serial: JIG-0001\nfixture:\n  port: /dev/x\n  queries:\n" +
			"    - {name: identity, command: '*IDN?'}\n    - {name: temp, command: [MEAS]}\n",
			[]string{"fixture.queries[1].command: a list is not a string (line 6)"}},
		{"repeated serial", "serial: OUT-C002\nserial: OUT-C003\nfixture: {port: /tmp/x}\n",
			[]string{"serial: repeated key, first at line 1 (line 2)"}},
		{"repeated section", ok + "log: {level: info}\nlog: {level: debug}\nfixture: {baud: 0}\n", []string{
			"log: repeated key, first at line 3 (line 4)", "fixture: repeated key, first at line 2 (line 5)"}},
		{"repeated key in a section", "serial: JIG-0001\nfixture: {port: /dev/x, baud: 1, baud: 2}\nfib: {max_n: -1}\n",
			[]string{"fixture.baud: repeated key, first at line 2 (line 2)", "fib.max_n: -1 is not between 0 and 10000000"}},
		{"heartbeat out of bounds, poll at its default", ok + "events: {heartbeat: 0s}\n",
			[]string{"events.heartbeat: 0s is not between 100ms and 1h0m0s"}},
		{"heartbeat out of bounds, poll too", ok + "events: {heartbeat: 2h, poll: 3h}\n", []string{
			"events.heartbeat: 2h0m0s is not between 100ms and 1h0m0s",
			"events.poll: 3h0m0s is not between 10ms and 1h0m0s"}},
		{"poll beyond heartbeat", ok + "events: {heartbeat: 100ms}\n",
			[]string{"events.poll: 250ms is not between 10ms and heartbeat (100ms)"}},
		{"tutorial queue too long", ok + "compat: {tutorial_queue: " + strings.Repeat("q", 256) + "}\n",
			[]string{"compat.tutorial_queue: 256 bytes, longer than 255 (AMQP's limit for a queue name)"}},
		{"nested sections", ok + "server: {max_body: 1}\nmetrics: {listen: '9464'}\nlog: {level: loud}\n", []string{
			"server.max_body: 1 byte cannot hold a request ({} is 2)",
			`log.level: "loud" is not debug, info, warn or error`,
			`metrics.listen: "9464" is not host:port (address 9464: missing port in address)`}},
	} {
		err, partial := problems(tc.yaml)
		if got := lines(err); !partial || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if err, partial := problems("serial: [JIG\n"); partial || err == nil {
		t.Errorf("not YAML: %v, want a plain error", err)
	}
}

func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
