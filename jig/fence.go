package jig

import (
	"context"
	"strings"
)

// A conversation (a status read, a Do) ends with a fence: the resync probe
// once more, whose answer must be the very next line and provably the
// probe's: with a nonce, one containing this fence's own token; with a
// pattern, one matching it; otherwise the answer the probe had when the
// line was last brought in step. A board that answers a command twice,
// swallows an answer or answers a timed-out command seconds late shifts
// which line answers which command, and settled sees that only when the
// extra line has already arrived. The shift carries on to the fence, whose
// answer is then some other line: so no answer of a conversation is
// trusted until its fence is answered in step. A failed fence (any other
// line, ERR too) fails the conversation and leaves the line out of step (a
// resync before the next one). The fence sees net shifts only: an extra
// line and a swallowed answer in one conversation cancel out (a board
// whose answers to one command are all late would do that every read,
// but its answers are awaited before the next command: owed.go); without
// a nonce, a late copy of an earlier probe's or fence's answer, which
// answers alike (a board answering the probe's command twice can have the
// copy taken by the next command, if it is the probe's or its pattern
// fits, and that command's answer pass as the fence's); and a line
// corrupted in place (a reset mid-answer glues the banner to the cut line)
// is no shift at all; Config.Banner and the queries' patterns are for
// those, and Config.Echo pairs every answer with its command.

// fenceReason is a failed fence's FixtureError.Reason.
const fenceReason = "the check that ends the conversation got another line: an answer of it was out of step " +
	"(a board answering twice or late, or swallowing an answer), so none is trusted"

// fenceAnswered reports whether line is fence q's own answer.
func (d *Device) fenceAnswered(q *query, line string) bool {
	switch {
	case q.token != "":
		return strings.Contains(line, q.token)
	case q.pattern != nil:
		return q.pattern.MatchString(line)
	}
	return d.inStepAns != "" && line == d.inStepAns // twice mode
}

// twiceProbe reports whether the resync probe is sent twice, its answer
// proven by being the same both times: no nonce, no pattern.
func (d *Device) twiceProbe() bool {
	return d.probePattern == nil && !strings.Contains(d.cfg.Resync.Probe, Nonce)
}

// asksAsProbe reports whether q, a caller's command, is the probe's
// command while the probe is sent twice: its answer must then be the
// probe's at the last resync (check).
func (d *Device) asksAsProbe(q *query) bool {
	return !q.probe && d.twiceProbe() && strings.EqualFold(q.command, d.cfg.Resync.Probe)
}

// fence ends a conversation; see above. The caller holds the port.
func (d *Device) fence(ctx context.Context) error {
	q := d.probeQuery()
	q.name, q.fence = "fence", true
	if _, err := d.exchange(ctx, q); err != nil {
		return err
	}
	return d.settled(q)
}
