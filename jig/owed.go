package jig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A command whose answer did not come by its query timeout (or whose
// caller gave up first), or whose answer slot another line took (a line
// refused: blank, a banner, one that does not match its pattern, a failed
// fence), may still be answered: a board that is slow, busy or answering
// in the background sends it later. If the next command went out before
// it came, it would be taken for that command's answer, and with the
// board's every answer as late, each conversation would take the one
// before's, in step as far as the fence can see (the shift nets out). So
// the Device keeps the answers it is owed: no command is written while
// one is, the conversation waits for it first, or until Resync.Late after
// its command, when it is written off. A debt is paid only by a line that
// could be its command's answer (couldAnswer): for a probe or fence with a
// token, the token; with a pattern, a match (an ERR line too); for a fence
// in twice mode, the probe's answer; for anything else (a probe in twice
// mode, a Do, a query without a pattern) any line that is not blank, an
// echo or a banner. A line the board sends unasked that cannot be the
// answer pays nothing; one that can (a one-word line, for the default
// state pattern) pays, and a board that answers in the background can then
// have a late answer taken for a later command's: narrow patterns,
// Config.Echo or a tagged protocol are for that. A banner writes every
// debt off (rebooted). Debts outlive a reopen.

// maxDebts bounds the answers kept owed; more (which the rule above never
// lets happen) drop the oldest, as written off.
const maxDebts = 8

// debt is an answer the board owes. (Device.inStepAns, which a fence's
// answer must equal in twice mode, cannot change while one is owed: only
// a resync sets it, and none begins until the debts are settled.)
type debt struct {
	q     query     // the command, as it was sent (its token, pattern)
	until time.Time // when it is written off
}

// owed is the answers the board owes. Held with the port.
type owed struct {
	debts []debt
	carry []byte // an unfinished line of input discarded while owed
	// unsure: an answer may still come that is not owed, since the port
	// was (re)opened (a command of whoever had it before) or debts were
	// written off. The resync then waits a query timeout after its probe
	// (stillWait) even with a nonce probe.
	unsure bool
}

// stillWait is how long the resync waits after its probe's answer for
// input that would show the answer was an earlier command's: a query
// timeout (the probe's own answer may still be to come, as late as that),
// except with a nonce probe when nothing is owed or unsure: there the
// probe's answer is proven its own, and Resync.Quiet is enough. Without a
// nonce the long wait stays: a line can be outstanding that no debt
// records (a board answering twice), and the fence's answer, equal to
// every probe's, cannot tell a probe's late copy from its own.
func (d *Device) stillWait() time.Duration {
	if d.owes.unsure || len(d.owes.debts) > 0 || !strings.Contains(d.cfg.Resync.Probe, Nonce) {
		return max(d.cfg.Resync.Quiet, d.cfg.QueryTimeout)
	}
	return d.cfg.Resync.Quiet
}

// lateLimit is how long after its command an answer is still awaited:
// Resync.Late, at least the query timeout.
func (d *Device) lateLimit() time.Duration { return max(d.cfg.Resync.Late, d.cfg.QueryTimeout) }

// owe records that q, written at sent, is owed its answer if err (its
// exchange's) says no line answered it: the query timeout passed, the
// caller's context ended, or a line was refused as its answer
// (FixtureError.refused). An ERR answer, bytes that are not a line, and a
// lost port are no debt.
func (d *Device) owe(q *query, err error, sent time.Time) {
	var fe *FixtureError
	refused := errors.As(err, &fe) && fe.refused
	if !refused && !errors.Is(err, ErrTimeout) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if len(d.owes.debts) == 0 {
		d.owes.carry = nil // a partial line from before is no part of this answer
	}
	if len(d.owes.debts) == maxDebts {
		d.owes.debts, d.owes.unsure = d.owes.debts[1:], true
	}
	d.owes.debts = append(d.owes.debts, debt{q: *q, until: sent.Add(d.lateLimit())})
	what := fmt.Sprintf("the answer to an earlier %q", q.command)
	if refused {
		what += fmt.Sprintf(` ("%s" came in its place, refused: %s)`, fe.Answer, fe.Reason)
	}
	d.owingWhat.Store(&what) // before owing: waiting reads it once owing says so
	d.owing.Store(int64(len(d.owes.debts)))
	d.count.owed.Add(1)
}

// paid takes input the board sent unasked off what it owes: each whole
// line pays the oldest debt it could answer.
func (d *Device) paid(p []byte) {
	o := &d.owes
	if len(o.debts) == 0 {
		o.carry = nil
		return
	}
	data := append(o.carry, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		d.payWith(string(bytes.TrimRight(data[:i], "\r")))
		data = data[i+1:]
	}
	o.carry = nil
	if len(o.debts) > 0 && len(data) <= d.cfg.MaxLine {
		o.carry = append([]byte(nil), data...)
	}
	d.owing.Store(int64(len(o.debts)))
}

// payWith removes the oldest debt line could answer, if any; a boot
// banner writes them all off (rebooted).
func (d *Device) payWith(line string) {
	if d.banner != nil && d.banner.MatchString(line) {
		d.rebooted()
		return
	}
	for i, b := range d.owes.debts {
		if d.couldAnswer(b, line) {
			d.owes.debts = append(d.owes.debts[:i:i], d.owes.debts[i+1:]...)
			return
		}
	}
}

// couldAnswer reports whether line, not a banner (payWith), could be b's
// command's answer (see above): never a blank line or its echo.
func (d *Device) couldAnswer(b debt, line string) bool {
	q := &b.q
	switch {
	case line == "" || line == q.command:
		return false
	case q.fence:
		return d.fenceAnswered(q, line)
	case q.token != "":
		return strings.Contains(line, q.token)
	case q.pattern != nil: // an ERR line too must match: boards report errors unasked
		return q.pattern.MatchString(line)
	case d.asksAsProbe(q):
		return line == d.inStepAns
	}
	return true
}
