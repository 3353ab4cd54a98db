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

// Liveness reports an error when the Device's own work is stuck: the
// background goroutine has not come round its loop within its longest wait
// plus slack (e.g. blocked in a driver's open or close), or a status read
// has held the port for longer than its queries' timeouts allow (e.g. a
// read blocked in the kernel). An absent or unplugged port is not an error:
// the Device retrying it is progress, and Status reports it. Meant for a
// watchdog such as systemd's.
func (d *Device) Liveness(now time.Time) error {
	var errs []error
	limit := max(probeEvery, d.cfg.ReconnectMax) + stallSlack
	if idle := now.Sub(d.Progress()); idle > limit {
		errs = append(errs, fmt.Errorf("serial supervisor of %s stuck: no round for %v (limit %v)",
			d.cfg.Port, idle.Round(time.Millisecond), limit))
	}
	d.flightMu.Lock()
	f := d.flight
	d.flightMu.Unlock()
	// A read runs every query; each takes at most a query timeout, plus as
	// much again to drain a noisy answer, plus one poll period.
	limit = time.Duration(len(d.cfg.Queries))*(2*d.cfg.QueryTimeout+pollRead) + stallSlack
	if f != nil {
		if held := now.Sub(f.started); held > limit {
			errs = append(errs, fmt.Errorf("status read of %s stuck for %v (limit %v)",
				d.cfg.Port, held.Round(time.Millisecond), limit))
		}
	}
	return errors.Join(errs...)
}
