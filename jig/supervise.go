package jig

import (
	"time"
)

// supervise is the Device's background goroutine: while the port is closed
// it retries opening it with capped exponential backoff; while it is open
// it probes it periodically so an unplug is noticed even when idle. It
// never waits for the port while a read holds it: the read notices
// trouble itself.
func (d *Device) supervise() {
	defer d.wg.Done()
	backoff := d.cfg.ReconnectMin
	var lastErr string
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-d.wake:
			backoff = d.cfg.ReconnectMin
		case <-t.C:
		}
		wait := probeEvery
		if ok, err := d.tick(); !ok {
			if msg := err.Error(); msg != lastErr {
				d.log.Warn("serial port unavailable, retrying", "err", err, "backoff_max", d.cfg.ReconnectMax)
				lastErr = msg
			}
			wait, backoff = backoff, min(2*backoff, d.cfg.ReconnectMax)
		} else {
			lastErr, backoff = "", d.cfg.ReconnectMin
		}
		t.Reset(wait)
	}
}

// tick connects a closed port or probes an open one, if no read holds it.
// It reports false with the reason if the port could not be opened.
func (d *Device) tick() (bool, error) {
	select {
	case <-d.conv:
	default:
		return true, nil // a read is running; it reconnects or fails itself
	}
	defer func() { d.conv <- struct{}{} }()
	if d.port != nil {
		d.probe()
		if d.port != nil {
			return true, nil
		}
	}
	if err := d.connect(); err != nil {
		return false, err
	}
	return true, nil
}
