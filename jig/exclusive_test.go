package jig_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
	"golang.org/x/sys/unix"
)

// wantInUse checks that err is the clear refusal of a port another
// Device holds: unavailable, in use, naming the port and the holder (this
// test's own process: both Devices live in it).
func wantInUse(t *testing.T, err error, link string) {
	t.Helper()
	if !errors.Is(err, jig.ErrUnavailable) || !errors.Is(err, jig.ErrInUse) {
		t.Fatalf("second Device: %v; want ErrUnavailable and ErrInUse", err)
	}
	pid := fmt.Sprintf("pid %d", os.Getpid())
	if msg := err.Error(); !strings.Contains(msg, link) || !strings.Contains(msg, pid) {
		t.Fatalf("error %q does not name the port %s and the holder's %s", msg, link, pid)
	}
}

// TestSecondDeviceRefused: two Devices on one port (a copied configuration,
// a udev link to the wrong adapter). The second is refused with a clear
// error and never exchanges a line, so neither can read the other's
// answers; once the first closes, the second opens.
func TestSecondDeviceRefused(t *testing.T) {
	link := newLink(t)
	board := startBoard(t, link, sim.Config{Identity: "FIRST"})
	first := openDevice(t, testConfig(link))
	mustStatus(t, first)
	sent := board.Queries()

	second := openDevice(t, testConfig(link))
	_, err := status(t, second)
	wantInUse(t, err, link)
	if s := second.Stats(); s.Commands != 0 || second.Connected() || board.Queries() != sent {
		t.Fatalf("refused Device: stats %+v, connected %v; board saw %d commands, want %d",
			s, second.Connected(), board.Queries(), sent)
	}
	if st := mustStatus(t, first); st.Identity != "FIRST" {
		t.Fatalf("first Device after the refusal: %+v", st)
	}

	first.Close()
	if st := mustStatus(t, second); st.Identity != "FIRST" || !st.Connected {
		t.Fatalf("second Device after the first closed: %+v", st)
	}
	_, err = status(t, openDevice(t, testConfig(link)))
	wantInUse(t, err, link) // the lock passed to the second
}

// TestRefusedOpenKeepsTermios: a Device refused the port leaves the line
// settings as the holder set them, also when it closes; the check is shown
// to see a change by a Device that may open the port.
func TestRefusedOpenKeepsTermios(t *testing.T) {
	link := newLink(t)
	board := startBoard(t, link, sim.Config{})
	first := openDevice(t, testConfig(link)) // 115200 8N1
	mustStatus(t, first)
	before := termios(t, board)
	if speed(before) != unix.B115200 {
		t.Fatalf("holder's settings: cflag %#o", before.Cflag)
	}

	cfg := testConfig(link)
	cfg.Baud = 19200
	second := openDevice(t, cfg)
	_, err := status(t, second)
	wantInUse(t, err, link)
	second.Close()
	if after := termios(t, board); *after != *before {
		t.Fatalf("refused Device changed the line: cflag %#o -> %#o, iflag %#o -> %#o, lflag %#o -> %#o",
			before.Cflag, after.Cflag, before.Iflag, after.Iflag, before.Lflag, after.Lflag)
	}

	first.Close()
	third := openDevice(t, cfg)
	mustStatus(t, third)
	if got := termios(t, board); speed(got) != unix.B19200 {
		t.Fatalf("a Device that holds the port set cflag %#o, want 19200", got.Cflag)
	}
}

func termios(t *testing.T, b *sim.Board) *unix.Termios {
	t.Helper()
	tio, err := b.Termios()
	if err != nil {
		t.Fatalf("termios: %v", err)
	}
	return tio
}

// speed is the line speed the settings carry. (A pty keeps the speed but
// drops parity and character size, so the speed is what a test can see.)
func speed(tio *unix.Termios) uint32 { return tio.Cflag & unix.CBAUD }
