package jig

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotSent wraps a Do refused before its command was written, because
// the board's recent pace says the caller's deadline would cut it (see
// timeFor). It wraps context.DeadlineExceeded too: the deadline comes
// before the board's answer would.
var ErrNotSent = errors.New("not sent")

// paceKeep is how many of the board's latest answer times pace keeps.
const paceKeep = 8

// pace is when and how fast the board answered its latest commands
// (probes and fences included), so that a Do that its caller's deadline
// would surely cut is not begun (timeFor). Held with the port.
type pace struct {
	took [paceKeep]time.Duration
	at   [paceKeep]time.Time
	next int
}

// add records one answer's time, from the write to the line.
func (p *pace) add(took time.Duration, now time.Time) {
	p.took[p.next], p.at[p.next] = took, now
	p.next = (p.next + 1) % paceKeep
}

// fastest is the shortest answer time kept from since on; 0 if none.
func (p *pace) fastest(since time.Time) time.Duration {
	var m time.Duration
	for i, t := range p.took {
		if p.at[i].Before(since) || p.at[i].IsZero() {
			continue
		}
		if m == 0 || t < m {
			m = t
		}
	}
	return m
}

// timeFor fails a conversation of cmds commands, before anything is
// written, when the board's recent answers say that ctx's deadline would
// surely cut it: cmds answers and the fence's, each as fast as the
// fastest of the board's answers in the last Resync.Late. A command cut
// by its caller leaves its answer owed and the line out of step, so the
// next request waits for that answer and re-synchronises first; on a slow
// board that can take most of its time too, and each request would cut
// the next. The fastest answer, not the slowest, and only recent ones: an
// answer slower than the rest (one slow command) never keeps a fast
// command from being sent, and a refusal, which adds no answer, lasts no
// longer than the board's pace is known. The pace is forgotten when the
// port is (re)opened (connect). The caller holds the port, in step.
func (d *Device) timeFor(ctx context.Context, cmds int) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	need := time.Duration(cmds+1) * d.pace.fastest(time.Now().Add(-d.lateLimit()))
	left := time.Until(deadline)
	if left >= need {
		return nil
	}
	d.log.Info("command not sent: its deadline is too close for the board's answer",
		"left", left.Round(time.Millisecond), "need", need.Round(time.Millisecond))
	return fmt.Errorf("jig: %w, so the line stays in step: %v left, and the board's recent answers "+
		"need at least %v for the command and the check that ends the conversation: %w",
		ErrNotSent, left.Round(time.Millisecond), need.Round(time.Millisecond), context.DeadlineExceeded)
}
