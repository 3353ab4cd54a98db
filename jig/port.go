package jig

import (
	"errors"
	"fmt"
	"time"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// pollRead is the read timeout set on the port: go.bug.st/serial returns
// (0, nil) when it expires, and the reader loops under its own deadline, so
// this only bounds how late a deadline or Close is noticed.
const pollRead = 50 * time.Millisecond

// probeEvery is how often an idle, open port is checked for being
// unplugged, so Connected stays truthful without reads.
const probeEvery = 250 * time.Millisecond

// fileID identifies the device node behind a path. A replugged USB-serial
// adapter (or a restarted simulator) gets a new node behind the same
// /dev/serial/by-id symlink, so a change of identity means "reopen".
type fileID struct{ dev, ino, rdev uint64 }

// statID resolves path (following symlinks) to the identity of its node.
func statID(path string) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return fileID{}, err
	}
	return idOf(&st), nil
}

// idOf is the identity of the node st describes.
func idOf(st *unix.Stat_t) fileID { return fileID{dev: st.Dev, ino: st.Ino, rdev: st.Rdev} }

// connect locks the port (lockPort: before anything touches its
// settings) and opens it by path. The caller holds conv.
//
// serial.Open works on a pseudo-terminal slave as it does on a UART: it
// sets raw mode and the line settings with TCSETS (a pty accepts and
// ignores the speed), takes TIOCEXCL, and only touches the modem lines
// (TIOCMGET/TIOCMSET, which a pty refuses with ENOTTY) when
// Mode.InitialStatusBits is set, which is why it is left nil here: the
// board does not use DTR/RTS, and the simulator can then run on a pty.
func (d *Device) connect() error {
	path := d.cfg.Port
	lock, err := lockPort(path)
	if err != nil {
		return unavailable(path, err)
	}
	p, err := d.openLocked(lock)
	if err != nil {
		lock.release()
		return unavailable(path, err)
	}
	d.port, d.lock, d.id = p, lock, lock.id
	d.rest, d.outOfStep, d.inStepYet = nil, true, false // whatever the board was doing, we do not know
	// Debts are kept: the same board behind a re-enumerated adapter may
	// still answer; another board pays nothing and they are written off.
	d.owes.unsure = true
	d.pace = pace{} // maybe another board's
	d.fr.reset()
	d.opened++
	if d.opened > 1 {
		d.count.reconnects.Add(1)
	}
	d.connected.Store(true)
	d.log.Info("serial port open", "opens", d.opened)
	return nil
}

// openLocked opens the port whose lock is held, checking that the path
// still leads to the node locked.
func (d *Device) openLocked(lock *portLock) (serial.Port, error) {
	p, err := serial.Open(d.cfg.Port, d.cfg.mode())
	if err != nil {
		return nil, err
	}
	if after, err := statID(d.cfg.Port); err != nil || after != lock.id {
		p.Close()
		return nil, errors.New("device node changed while opening")
	}
	if err := p.SetReadTimeout(pollRead); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// closePort closes the port if open, then releases its lock. The caller
// holds conv (or every other goroutine has stopped).
func (d *Device) closePort() error {
	d.connected.Store(false)
	if d.port == nil {
		return nil
	}
	err := d.port.Close()
	d.lock.release()
	d.port, d.lock = nil, nil
	d.fr.reset()
	return err
}

// lost closes the port after err showed it gone, and asks the supervisor
// to start reopening it at once. The caller holds conv. A Device that is
// closing has not lost its port: a conversation cut by Close fails as
// unavailable (errClosed), and Close closes the port itself, so that is
// no loss to warn of, nor to reopen.
func (d *Device) lost(err error) {
	if d.port == nil {
		return // it was not open: the supervisor is already retrying
	}
	if d.ctx.Err() != nil {
		return
	}
	d.log.Warn("serial port lost", "err", err)
	d.closePort()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// probe checks an open port without a conversation: the path must still
// lead to the node that was opened, and a non-blocking read must not
// report a hang-up. Input it finds arrived with no command outstanding: it
// is discarded as unsolicited, logged and counted, and puts the line out
// of step. The caller holds conv.
func (d *Device) probe() {
	if !d.stillBehindPath() {
		return
	}
	if _, err := d.takeUnsolicited("while idle"); err != nil {
		d.lost(fmt.Errorf("probe: %w", err))
		return
	}
	d.logUnsolicited()
}

// stillBehindPath reports whether the path still leads to the node that
// was opened; if not (gone, or another device there), the port is lost.
// Called before every conversation as well as by probe, so that a board
// swapped behind the path between probes is never read as the old one.
// The caller holds conv.
func (d *Device) stillBehindPath() bool {
	id, err := statID(d.cfg.Port)
	if err == nil && id == d.id {
		return true
	}
	if err == nil {
		err = errors.New("a different device is now behind the path")
	}
	d.lost(unavailable(d.cfg.Port, err))
	return false
}

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
		d.round.Store(time.Now().UnixNano())
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

// tick connects a closed port or probes an open one, if no conversation
// holds it. It reports false with the reason if the port could not be
// opened. A port it opens it hands on, to have its line readied at once
// (handoff.go).
func (d *Device) tick() (bool, error) {
	select {
	case <-d.conv:
	default:
		return true, nil // a read is running; it reconnects or fails itself
	}
	if d.port != nil {
		d.probe()
		if d.port != nil {
			d.conv <- struct{}{}
			return true, nil
		}
	}
	if err := d.connect(); err != nil {
		d.conv <- struct{}{}
		return false, err
	}
	d.readyAfterOpen() // gives the port back when the line is ready
	return true, nil
}
