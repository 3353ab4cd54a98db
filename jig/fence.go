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
// swallows an answer, resets in the middle of one or answers a timed-out
// command seconds late shifts which line answers which command, and
// settled sees that only when the extra line has already arrived. The
// shift carries on to the fence, whose answer is then some other line: so
// no answer of a conversation is trusted until its fence is answered in
// step. A failed fence fails the conversation and leaves the line out of
// step (a resync before the next one).

// fenceReason is a failed fence's FixtureError.Reason.
const fenceReason = "the check that ends the conversation got another line: an answer of it was out of step " +
	"(a board answering twice, late or after a reset), so none is trusted"

// twiceProbe reports whether the resync probe is sent twice, its answer
// proven by being the same both times: no nonce, no pattern.
func (d *Device) twiceProbe() bool {
	return d.probePattern == nil && !strings.Contains(d.cfg.Resync.Probe, Nonce)
}

// fence ends a conversation; see above. The caller holds the port.
func (d *Device) fence(ctx context.Context) error {
	q := d.probeQuery()
	q.name, q.fence = "fence", true
	if d.twiceProbe() {
		q.same, q.expect = true, d.inStepAns
	}
	if _, err := d.exchange(ctx, q); err != nil {
		return err
	}
	return d.settled(q)
}
