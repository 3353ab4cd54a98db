package jig

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// query is one command as the conversation sends it.
type query struct {
	name, command string
	pattern       *regexp.Regexp // the answer must match, if set
	token         string         // a resync nonce the answer must contain
	probe         bool           // a resync probe or fence, not a caller's command
	fence         bool           // a fence: its answer must be the next line (fence.go)
}

// exchange writes q's command and reads its answer within the query
// timeout. The line must be in step and empty of input (see begin and
// settled). Any failure but an ERR answer puts it out of step. The caller
// holds the port.
func (d *Device) exchange(ctx context.Context, q *query) (Answer, error) {
	d.fr.reset()
	if err := d.write(q.command + d.cfg.LineEnding); err != nil {
		return Answer{}, unavailable(d.cfg.Port, err)
	}
	if !q.probe {
		d.count.commands.Add(1)
	}
	sent := time.Now()
	line, err := d.answer(ctx, q, sent.Add(d.cfg.QueryTimeout))
	if err == nil {
		err = d.check(q, line)
	}
	if err != nil {
		var fe *FixtureError
		if errors.As(err, &fe) && fe.Query == "" {
			fe.Query = q.name
		}
		d.trouble(err)
		d.owe(q, err, sent)
		return Answer{}, err
	}
	d.pace.add(time.Since(sent), time.Now())
	return Answer{Command: q.command, Line: line, SentAt: sent.UTC(), MS: msSince(sent)}, nil
}

// answer reads lines until the one that can be q's answer: an echo of the
// command is read and checked (Config.Echo) or skipped and counted (an
// unconfigured echo); for a resync nonce, lines without it are stale and
// skipped. A blank line, a banner, a second echo or a missing echo is not
// an answer and fails the exchange.
func (d *Device) answer(ctx context.Context, q *query, deadline time.Time) (string, error) {
	echoed := false
	for {
		line, err := d.nextLine(ctx, q.command, deadline)
		switch {
		case err != nil:
			return "", err
		case line == "":
			return "", d.bad(q, line, "blank line where an answer was due")
		case d.banner != nil && d.banner.MatchString(line):
			d.rebooted() // a board that rebooted owes nothing, this command included
			return "", &FixtureError{Query: q.name, Command: q.command, Answer: excerpt([]byte(line)),
				Reason: "boot banner where an answer was due (did the board reset?)"}
		case line == q.command && !echoed:
			echoed = true
			if !d.cfg.Echo {
				d.count.echoes.Add(1)
				d.log.Debug("echo skipped", "command", q.command)
			}
			continue
		case line == q.command:
			return "", d.bad(q, line, "the command echoed twice")
		case d.cfg.Echo && !echoed:
			return "", d.bad(q, line, "expected the echo of the command (fixture.echo is true)")
		case q.token != "" && !q.fence && !strings.Contains(line, q.token):
			d.unsolicited("stale line before the probe's answer", []byte(line+"\n"))
			continue
		}
		return line, nil
	}
}

// check refuses a fence's answer that is not its own (fence.go: any
// other line, an ERR one too, so that the line is out of step after it),
// an ERR answer, one that does not match q's pattern, and one to the
// probe's command that is not the probe's.
func (d *Device) check(q *query, line string) error {
	switch {
	case q.fence && !d.fenceAnswered(q, line):
		d.count.fenceFails.Add(1)
		return d.bad(q, line, fenceReason)
	case strings.HasPrefix(line, "ERR"):
		return &FixtureError{Query: q.name, Command: q.command, Answer: line}
	case q.pattern != nil && !q.pattern.MatchString(line):
		d.count.mismatches.Add(1)
		return d.bad(q, line, "answer does not match the query's pattern "+q.pattern.String())
	case d.asksAsProbe(q) && line != d.inStepAns:
		d.count.mismatches.Add(1)
		return d.bad(q, line, fmt.Sprintf("the resync probe's command, answered otherwise than at the last resync (%q)",
			excerpt([]byte(d.inStepAns))))
	}
	return nil
}

// bad is a *FixtureError for q with an excerpt of line.
func (d *Device) bad(q *query, line, reason string) error {
	return &FixtureError{Query: q.name, Command: q.command, Answer: excerpt([]byte(line)), Reason: reason, refused: true}
}

// nextLine returns the next whole line, from what is left of the last read
// and then from the port, by deadline.
func (d *Device) nextLine(ctx context.Context, cmd string, deadline time.Time) (string, error) {
	for {
		if len(d.rest) > 0 {
			n, line, done, reason, bad := d.fr.feed(d.rest)
			d.rest = d.rest[n:]
			if reason != "" {
				return "", &FixtureError{Command: cmd, Answer: bad, Reason: reason}
			}
			if done {
				return line, nil
			}
		}
		if err := d.alive(ctx); err != nil {
			return "", err
		}
		wait := time.Until(deadline)
		if wait <= 0 {
			return "", timeout(cmd, d.cfg.QueryTimeout, d.fr.pending())
		}
		n, err := d.readFor(readWait(ctx, wait))
		if err != nil {
			return "", err
		}
		d.rest = d.buf[:n]
	}
}

// readWait is how long a read may wait for input: at most wait and
// pollRead, and never past ctx's deadline, so that a conversation ends at
// its caller's deadline to the millisecond rather than to the poll (a
// cancellation is noticed within pollRead).
func readWait(ctx context.Context, wait time.Duration) time.Duration {
	wait = min(wait, pollRead)
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, max(time.Until(deadline), 0))
	}
	return wait
}

// readFor reads into d.buf, waiting at most wait (0: only what is already
// there). It returns 0 bytes when nothing came.
func (d *Device) readFor(wait time.Duration) (int, error) {
	if err := d.port.SetReadTimeout(wait); err != nil {
		return 0, unavailable(d.cfg.Port, err)
	}
	n, err := d.port.Read(d.buf)
	if err != nil {
		return 0, unavailable(d.cfg.Port, err)
	}
	return n, nil
}

// write writes all of s.
func (d *Device) write(s string) error {
	b := []byte(s)
	for len(b) > 0 {
		n, err := d.port.Write(b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// msSince is the time since t in milliseconds, to the microsecond.
func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
