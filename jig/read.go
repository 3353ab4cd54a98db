package jig

import (
	"context"
	"strings"
	"time"
)

// read does one status read, holding the port for its whole conversation.
// ctx is the Device's lifetime: a read in flight is shared, so no single
// caller's context may cut it short; each query's timeout bounds it.
func (d *Device) read(ctx context.Context) (Status, error) {
	select {
	case <-d.conv:
	case <-ctx.Done():
		return d.failed(), unavailable(d.cfg.Port, errClosed)
	}
	defer func() { d.conv <- struct{}{} }()
	if ctx.Err() != nil {
		return d.failed(), unavailable(d.cfg.Port, errClosed)
	}
	start := time.Now()
	d.reads.Add(1)
	st, err := d.readLocked(ctx, start)
	if err != nil {
		d.errs.Add(1)
		if errorsIsUnavailable(err) {
			d.lost(err)
		}
		st.Connected = d.Connected()
		return st, err
	}
	d.lastRead.Store(time.Now().UnixNano())
	return st, nil
}

// readLocked opens the port if it is closed (so a replug is picked up by
// the first request, not only by the next reconnect attempt) and runs every
// query in order; it stops at the first error.
func (d *Device) readLocked(ctx context.Context, start time.Time) (Status, error) {
	st := Status{Port: d.cfg.Port, Fields: make(map[string]string, len(d.cfg.Queries))}
	if d.port == nil {
		if err := d.connect(); err != nil {
			return st, err
		}
	}
	for _, q := range d.cfg.Queries {
		ans, err := d.exchange(ctx, q.Command)
		if err != nil {
			return st, err
		}
		st.Fields[q.Name] = ans
	}
	st.Connected = true
	st.Identity = st.Fields[QueryIdentity]
	st.State = st.Fields[QueryState]
	st.ReadAt = start.UTC()
	st.ReadMS = float64(time.Since(start).Microseconds()) / 1000
	return st, nil
}

// exchange is one query: flush stale input, write the command, read one
// answer line within the query timeout. The caller holds conv.
func (d *Device) exchange(ctx context.Context, cmd string) (string, error) {
	path := d.cfg.Port
	if err := d.port.ResetInputBuffer(); err != nil {
		return "", unavailable(path, err)
	}
	if err := d.write(cmd + d.cfg.LineEnding); err != nil {
		return "", unavailable(path, err)
	}
	deadline := time.Now().Add(d.cfg.QueryTimeout)
	d.fr.reset()
	for {
		if ctx.Err() != nil {
			return "", unavailable(path, errClosed)
		}
		if !time.Now().Before(deadline) {
			return "", timeout(cmd, d.cfg.QueryTimeout, d.fr.pending())
		}
		n, err := d.port.Read(d.buf)
		if err != nil {
			return "", unavailable(path, err)
		}
		line, done, reason, bad := d.fr.feed(d.buf[:n])
		switch {
		case reason != "":
			d.drain(ctx)
			return "", &FixtureError{Command: cmd, Answer: bad, Reason: reason}
		case done && strings.HasPrefix(line, "ERR"):
			return "", &FixtureError{Command: cmd, Answer: line}
		case done:
			return line, nil
		}
	}
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

// drain discards input until the line has been quiet for one poll period
// (at most one query timeout), after the board sent noise or a runaway
// line, so the rest of it cannot be taken for the next answer.
func (d *Device) drain(ctx context.Context) {
	deadline := time.Now().Add(d.cfg.QueryTimeout)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		n, err := d.port.Read(d.buf)
		if err != nil || n == 0 {
			break
		}
	}
	d.port.ResetInputBuffer()
	d.fr.reset()
}
