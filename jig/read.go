package jig

import (
	"context"
	"time"
)

// read does one status read, holding the port for its whole conversation,
// so its queries go out back to back and nothing else comes between them;
// it calls landed once done, before it gives the port back. ctx is the
// Device's lifetime: a read in flight is shared, so no single caller's
// context may cut it short; each query's timeout bounds it.
func (d *Device) read(ctx context.Context, landed func()) (Status, error) {
	if err := d.acquire(ctx, len(d.qs)); err != nil {
		landed()
		return d.failed(), err
	}
	defer d.release()
	defer landed() // before release: deferred calls run last first
	d.count.reads.Add(1)
	st, err := d.readLocked(ctx, landed)
	if err != nil {
		d.count.errs.Add(1)
		d.failedWith(err)
		return d.failed(), err // never part of a read: its answers are suspect
	}
	d.count.lastRead.Store(time.Now().UnixNano())
	return st, nil
}

// readLocked readies the line (see begin) and runs every query in order,
// each answer checked to be followed by nothing (see settled), then the
// fence (fence.go), before which landed is called: the answers are all
// in, and a later caller must not share them. It stops at the first
// error. read_at is when the first query was written, after any
// re-synchronisation, and read_ms runs from then to the last answer (not
// the fence's): they describe the conversation that produced the fields.
func (d *Device) readLocked(ctx context.Context, landed func()) (Status, error) {
	if err := d.begin(ctx); err != nil {
		return Status{}, err
	}
	st := Status{Port: d.cfg.Port, Fields: make(map[string]string, len(d.qs))}
	var first time.Time
	for i := range d.qs {
		q := &d.qs[i]
		a, err := d.exchange(ctx, q)
		if err == nil {
			err = d.settled(q)
		}
		if err != nil {
			return Status{}, err
		}
		if i == 0 {
			first = a.SentAt
		}
		st.Fields[q.name] = a.Line
	}
	st.ReadMS = msSince(first)
	landed()
	if err := d.fence(ctx); err != nil {
		return Status{}, err
	}
	st.Connected = true
	st.Identity = st.Fields[QueryIdentity]
	st.State = st.Fields[QueryState]
	st.ReadAt = first
	st.Reconnects = d.count.reconnects.Load() // under conv, as connect counts it
	return st, nil
}
