package jig_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
)

// pairConfig is a config for a tagged board at link: short timeouts, so
// hundreds of reads with late answers stay quick.
func pairConfig(link string) jig.Config {
	cfg := testConfig(link)
	cfg.QueryTimeout = 100 * time.Millisecond
	cfg.Resync.Quiet = 20 * time.Millisecond
	// Owed answers are awaited half a second: longer than the late answers
	// below, short enough that a silent board's are written off quickly.
	cfg.Resync.Late = 500 * time.Millisecond
	// A tagged board never answers the same twice: the probe is checked
	// by its shape instead.
	cfg.Resync.Pattern = `^#[0-9]+ JIGMQ,`
	// No query patterns (the state's default one would refuse a tag): what
	// keeps the answers paired is the conversation's rules and its fence.
	cfg.Queries = []jig.Query{{Name: jig.QueryIdentity, Command: "*IDN?"}, {Name: jig.QueryState, Command: "STAT?"}}
	return cfg
}

// wantAnswer is what the untagged answer to each default command must be.
var wantAnswer = map[string]string{"*IDN?": sim.DefaultIdentity, "STAT?": sim.DefaultState}

// mispaired says why st, an ok status read that started when b had
// received before commands, is not provably the answers to the commands
// sent in that read; nil if it is. Each field must be "#N <answer>" with
// b's N-th command the field's query command, N after before, the queries'
// numbers consecutive in query order, the last one followed only by the
// read's fence (the resync probe, b's latest command), and the answer that
// command's.
func mispaired(b *sim.Board, qs []jig.Query, st jig.Status, before uint64) error {
	var prev uint64
	for i, q := range qs {
		n, ans, err := parseTag(st.Fields[q.Name])
		if err != nil {
			return fmt.Errorf("field %s: %w", q.Name, err)
		}
		cmd, ok := b.Command(n)
		switch {
		case !ok || cmd != q.Command:
			return fmt.Errorf("field %s = %q answers command #%d %q, not %q", q.Name, st.Fields[q.Name], n, cmd, q.Command)
		case n <= before:
			return fmt.Errorf("field %s answers command #%d, sent before this read (board had %d)", q.Name, n, before)
		case i > 0 && n != prev+1:
			return fmt.Errorf("field %s answers #%d, not the command after #%d", q.Name, n, prev)
		case ans != wantAnswer[q.Command]:
			return fmt.Errorf("field %s = %q, want answer %q", q.Name, ans, wantAnswer[q.Command])
		}
		prev = n
	}
	last := b.Queries()
	if cmd, _ := b.Command(last); last != prev+1 || cmd != "*IDN?" && !strings.HasPrefix(cmd, "ECHO ") {
		return fmt.Errorf("last field answers #%d, but the board's last command is #%d %q, not the fence after it", prev, last, cmd)
	}
	return nil
}

// parseTag splits a tagged answer "#N rest".
func parseTag(s string) (uint64, string, error) {
	tag, rest, ok := strings.Cut(s, " ")
	n, err := strconv.ParseUint(strings.TrimPrefix(tag, "#"), 10, 64)
	if !ok || !strings.HasPrefix(tag, "#") || err != nil {
		return 0, "", fmt.Errorf("%q is not a tagged answer", s)
	}
	return n, rest, nil
}

// errKind names the outcome of a failed read.
func errKind(err error) string {
	var fe *jig.FixtureError
	switch {
	case errors.Is(err, jig.ErrTimeout):
		return "serial_timeout"
	case errors.As(err, &fe):
		return "fixture_error"
	case errors.Is(err, jig.ErrUnavailable):
		return "serial_unavailable"
	}
	return "other: " + err.Error()
}

// tally counts the outcomes of a run of reads.
type tally struct {
	ok, mispaired int
	failed        map[string]int
}

// readTagged does n status reads of d, checking each ok one's pairing.
func readTagged(t *testing.T, d *jig.Device, b *sim.Board, qs []jig.Query, n int) tally {
	t.Helper()
	r := tally{failed: map[string]int{}}
	for i := range n {
		before := b.Queries()
		st, err := status(t, d)
		if err != nil {
			r.failed[errKind(err)]++
			continue
		}
		if err := mispaired(b, qs, st, before); err != nil {
			if r.mispaired++; r.mispaired <= 10 {
				t.Errorf("read %d: ok but mis-paired: %v", i, err)
			}
			continue
		}
		r.ok++
	}
	return r
}
