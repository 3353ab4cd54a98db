package jig

import (
	"errors"
	"fmt"
	"time"
)

// stallSlack is added to the longest legitimate pause of the Device's work,
// for a loaded machine or a slow USB driver.
const stallSlack = 10 * time.Second

// Progress is when the Device's background goroutine last came round its
// loop: every few hundred milliseconds while the port is open (it probes
// it), at least every Config.ReconnectMax while the port is gone (it
// retries it).
func (d *Device) Progress() time.Time { return time.Unix(0, d.round.Load()) }

// convLimit is the longest a conversation of cmds commands may hold the
// port: a wait for owed answers (owed.go), a resync (a quiet wait of up
// to a query timeout, two probes, a second quiet period of at most a query
// timeout) and each command's query
// timeout, each plus a poll period, plus slack. cmds does not count the
// conversation's fence (fence.go): convLimit does.
func (d *Device) convLimit(cmds int) time.Duration {
	step := d.cfg.QueryTimeout + pollRead
	return d.lateLimit() + time.Duration(cmds+1+4)*step + 2*d.cfg.Resync.Quiet + stallSlack
}

// flightLimit is the longest a status read may take from its start: it may
// first wait for a Do holding the port, whose line is readied without its
// caller (handoff.go), then have its own conversation.
func (d *Device) flightLimit() time.Duration { return d.convLimit(1) + d.convLimit(len(d.qs)) }

// Liveness reports an error when the Device's own work is stuck: the
// background goroutine has not come round its loop within its longest wait
// plus slack (e.g. blocked in a driver's open or close), a conversation (a
// status read or a Do) has held the port for longer than its commands
// allow (e.g. a read blocked in the kernel), or a status read has waited
// for the port that long. An absent or unplugged port is not an error: the
// Device retrying it is progress, and Status reports it. Meant for a
// watchdog such as systemd's.
func (d *Device) Liveness(now time.Time) error {
	var errs []error
	limit := max(probeEvery, d.cfg.ReconnectMax) + stallSlack
	if idle := now.Sub(d.Progress()); idle > limit {
		errs = append(errs, fmt.Errorf("serial supervisor of %s stuck: no round for %v (limit %v)",
			d.cfg.Port, idle.Round(time.Millisecond), limit))
	}
	if ns := d.held.Load(); ns != 0 {
		limit := time.Duration(d.heldLimit.Load())
		if held := now.Sub(time.Unix(0, ns)); held > limit {
			errs = append(errs, fmt.Errorf("conversation on %s stuck holding the port for %v (limit %v)",
				d.cfg.Port, held.Round(time.Millisecond), limit))
		}
	}
	d.flightMu.Lock()
	f := d.flight
	d.flightMu.Unlock()
	if f != nil {
		limit := d.flightLimit()
		if waited := now.Sub(f.started); waited > limit {
			errs = append(errs, fmt.Errorf("status read of %s stuck for %v (limit %v)",
				d.cfg.Port, waited.Round(time.Millisecond), limit))
		}
	}
	return errors.Join(errs...)
}
