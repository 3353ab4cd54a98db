package jig

import (
	"context"
	"fmt"
	"time"
)

// paceKeep is how many of the board's latest answer times pace keeps.
const paceKeep = 8

// pace is how long the board took to answer its latest commands (probes
// and fences included), so that a Do that its caller's deadline would
// cut is not begun (timeFor). Held with the port.
type pace struct {
	took [paceKeep]time.Duration
	next int
}

// add records one answer's time, from the write to the line.
func (p *pace) add(took time.Duration) {
	p.took[p.next] = took
	p.next = (p.next + 1) % paceKeep
}

// slowest is the longest of the kept times; 0 before any answer.
func (p *pace) slowest() time.Duration {
	var m time.Duration
	for _, t := range p.took {
		m = max(m, t)
	}
	return m
}

// timeFor fails a conversation of cmds commands, before anything is
// written, when the board's recent answers say that ctx's deadline would
// cut it: cmds answers and the fence's, each as slow as the slowest kept.
// A command cut by its caller leaves its answer owed and the line out of
// step, so the next request waits for that answer and re-synchronises
// first; on a slow board that can take most of its time too, and each
// request would cut the next. The error wraps context.DeadlineExceeded:
// the deadline comes before the board's answer would. The caller holds
// the port, in step.
func (d *Device) timeFor(ctx context.Context, cmds int) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	need := time.Duration(cmds+1) * d.pace.slowest()
	left := time.Until(deadline)
	if left >= need {
		return nil
	}
	d.log.Info("command not sent: its deadline is too close for the board's answer",
		"left", left.Round(time.Millisecond), "need", need.Round(time.Millisecond))
	return fmt.Errorf("jig: not sent, so the line stays in step: %v left, and the board's recent answers "+
		"need about %v for the command and the check that ends the conversation: %w",
		left.Round(time.Millisecond), need.Round(time.Millisecond), context.DeadlineExceeded)
}
