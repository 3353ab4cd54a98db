package jig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// maxDrainReads bounds how many reads takeUnsolicited makes without
// waiting: a board that never stops talking is left to resync's quiet wait.
const maxDrainReads = 64

// resync brings a line that is out of step back in step, or fails: input
// quiet for Resync.Quiet (within a query timeout), then the probe (once
// with a nonce, which proves its answer, or with a pattern its answer must
// match; else twice, with the same answer both times), then quiet again
// for a query timeout (stillWait; Resync.Quiet with a nonce probe when
// nothing is owed): an answer taken for the probe's may have been a late
// answer to an earlier command or a copy of one, and then the probe's own
// is still to come, as late as a query timeout on a slow board; only once
// it has not come is the line provably in step. ctx is the Device's
// lifetime, never a caller's (handoff.go). The caller holds the port, and
// has awaited any answer owed (owed.go).
func (d *Device) resync(ctx context.Context) error {
	why := resyncAgain
	if !d.inStepYet {
		why = resyncOpened
	}
	d.resyncing.Store(why)
	err := d.resyncOnce(ctx)
	d.resyncing.Store(resyncNone)
	if err != nil && ctx.Err() != nil { // the Device is closing
		d.outOfStep = true
		return err
	}
	if err != nil {
		d.outOfStep = true
		d.count.resyncFails.Add(1)
		d.log.Warn("serial line out of step, resync failed", "err", err)
		var fe *FixtureError
		if errors.As(err, &fe) && fe.Reason != "" && !strings.HasPrefix(fe.Reason, "resync") {
			fe.Reason = "resync: " + fe.Reason
		}
		if errors.Is(err, ErrTimeout) { // its command is the probe's, not a query's
			err = fmt.Errorf("%w (the resync's probe: the line was out of step)", err)
		}
		return err
	}
	d.outOfStep, d.inStepYet = false, true
	d.count.resyncs.Add(1)
	d.log.Info("serial line back in step")
	return nil
}

func (d *Device) resyncOnce(ctx context.Context) error {
	if err := d.quiet(ctx, d.cfg.QueryTimeout); err != nil {
		return err
	}
	probes := 1
	if d.twiceProbe() {
		probes = 2
	}
	first := ""
	for i := range probes {
		q := d.probeQuery()
		a, err := d.exchange(ctx, q)
		if err != nil {
			return err
		}
		if i > 0 && a.Line != first { // one is another line's: this probe's answer may still come
			err := d.bad(q, a.Line, fmt.Sprintf("resync: the probe's two answers differ (first %q)", excerpt([]byte(first))))
			d.owe(q, err, a.SentAt)
			return err
		}
		first = a.Line
	}
	if err := d.still(ctx, d.stillWait()); err != nil {
		return err
	}
	d.inStepAns, d.owes.unsure = first, false
	return nil
}

// probeQuery is the resync probe, with a fresh nonce if it takes one.
func (d *Device) probeQuery() *query {
	q := &query{name: "resync probe", command: d.cfg.Resync.Probe, pattern: d.probePattern, probe: true}
	if strings.Contains(q.command, Nonce) {
		q.token = fmt.Sprintf("%016x", rand.Uint64())
		q.command = strings.ReplaceAll(q.command, Nonce, q.token)
	}
	return q
}

// quiet discards input until none has arrived for Resync.Quiet, or fails
// after limit.
func (d *Device) quiet(ctx context.Context, limit time.Duration) error {
	d.fr.reset()
	d.rest = nil
	start := time.Now()
	last := start
	for {
		if err := d.alive(ctx); err != nil {
			return err
		}
		now := time.Now()
		left := d.cfg.Resync.Quiet - now.Sub(last)
		if left <= 0 {
			return nil
		}
		if now.Sub(start) > limit {
			return &FixtureError{Command: d.cfg.Resync.Probe, Answer: d.lastExtra,
				Reason: fmt.Sprintf("resync: the board did not fall quiet for %s within %s", d.cfg.Resync.Quiet, limit)}
		}
		n, err := d.readFor(readWait(ctx, left))
		if err != nil {
			return err
		}
		if n > 0 {
			last = time.Now()
			d.unsolicited("while re-synchronising", d.buf[:n])
		}
	}
}

// still waits wait after the probe's answer: any input then means the
// probe's answer may have been an earlier command's.
func (d *Device) still(ctx context.Context, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		if err := d.alive(ctx); err != nil {
			return err
		}
		if len(d.rest) == 0 {
			wait := time.Until(deadline)
			if wait <= 0 {
				return nil
			}
			n, err := d.readFor(readWait(ctx, wait))
			if err != nil {
				return err
			}
			d.rest = d.buf[:n]
		}
		if len(d.rest) > 0 {
			d.unsolicited("after the probe's answer", d.rest)
			d.rest = nil // counted once: not again before the next command
			return &FixtureError{Command: d.cfg.Resync.Probe, Answer: d.lastExtra,
				Reason: "resync: more input followed the probe's answer"}
		}
	}
}

// takeUnsolicited discards, without waiting, whatever input is pending
// (and what is left of the last read) as unsolicited, and reports whether
// there was any; any puts the line out of step, since the board spoke
// unasked. The caller holds the port.
func (d *Device) takeUnsolicited(where string) (bool, error) {
	found := len(d.rest) > 0
	if found {
		d.unsolicited(where, d.rest)
	}
	d.rest = nil
	for range maxDrainReads {
		n, err := d.readFor(0)
		if err != nil {
			return found, err
		}
		if n == 0 {
			break
		}
		found = true
		d.unsolicited(where, d.buf[:n])
	}
	if found {
		d.outOfStep = true
		d.fr.reset()
	}
	return found, nil
}

// unsolicitedLogEvery spaces the warnings about unsolicited input: a
// board that chatters is logged once a second, with what it sent since the
// last warning, not once a read (hundreds a second, which would flood the
// journal until its rate limit drops the lines that matter).
const unsolicitedLogEvery = time.Second

// unsolicitedLog is what arrived unasked since the last warning.
type unsolicitedLog struct {
	at           time.Time // of the last warning
	where        string    // where the latest of it was found
	bytes, lines int
}

// unsolicited counts input that is not an answer to anything, and logs it
// (see unsolicitedLogEvery). The caller holds the port.
func (d *Device) unsolicited(where string, p []byte) {
	lines := bytes.Count(p, []byte{'\n'})
	d.count.unsolicited.Add(uint64(lines))
	d.paid(p)
	d.lastExtra = excerpt(p)
	u := &d.unsolLog
	u.where, u.bytes, u.lines = where, u.bytes+len(p), u.lines+lines
	d.logUnsolicited()
}

// logUnsolicited warns of what arrived unasked since the last warning, if
// anything did and that warning is unsolicitedLogEvery old. The idle probe
// calls it too, so that the tail of a flood is logged when the board falls
// quiet, not with its next one. The caller holds the port.
func (d *Device) logUnsolicited() {
	u := &d.unsolLog
	now := time.Now()
	if u.bytes == 0 || now.Sub(u.at) < unsolicitedLogEvery {
		return
	}
	d.log.Warn("unsolicited input from the board, discarded", "where", u.where,
		"bytes", u.bytes, "lines", u.lines, "since", u.since(now), "excerpt", d.lastExtra)
	*u = unsolicitedLog{at: now}
}

// since is how far back the counts of a warning at now go: "" for the
// first warning.
func (u *unsolicitedLog) since(now time.Time) string {
	if u.at.IsZero() {
		return ""
	}
	return now.Sub(u.at).Round(time.Millisecond).String()
}
