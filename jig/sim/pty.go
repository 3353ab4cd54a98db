package sim

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ptsDir is where the kernel puts pseudo-terminal slaves: a board's link
// leads there.
const ptsDir = "/dev/pts/"

// pty is one pseudo-terminal pair. The master is wrapped in an *os.File
// opened non-blocking, so reads and writes go through the Go runtime poller
// and Close interrupts them. The board also keeps its own descriptor on the
// slave open for its whole life: without it, reading the master fails with
// EIO whenever the client has the port closed (between reconnects), and
// the terminal settings would be reset on every last close.
type pty struct {
	master *os.File
	slave  *os.File
	path   string // /dev/pts/N
}

// openPTY allocates a pseudo-terminal through /dev/ptmx, unlocks its slave,
// and puts the slave in raw mode with no echo, so what the client writes is
// delivered byte for byte to the board and never echoed back to the client.
func openPTY() (*pty, error) {
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("sim: open /dev/ptmx: %w", err)
	}
	path, err := unlockSlave(mfd)
	if err != nil {
		unix.Close(mfd)
		return nil, err
	}
	sfd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(mfd)
		return nil, fmt.Errorf("sim: open %s: %w", path, err)
	}
	if err := makeRaw(sfd); err != nil {
		unix.Close(sfd)
		unix.Close(mfd)
		return nil, fmt.Errorf("sim: raw mode on %s: %w", path, err)
	}
	return &pty{
		master: os.NewFile(uintptr(mfd), "/dev/ptmx"),
		slave:  os.NewFile(uintptr(sfd), path),
		path:   path,
	}, nil
}

// unlockSlave clears the slave's lock (TIOCSPTLCK) and returns its path,
// from its number (TIOCGPTN).
func unlockSlave(mfd int) (string, error) {
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return "", fmt.Errorf("sim: unlock pty (TIOCSPTLCK): %w", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return "", fmt.Errorf("sim: pty number (TIOCGPTN): %w", err)
	}
	return ptsDir + strconv.FormatUint(uint64(n), 10), nil
}

// makeRaw is cfmakeraw(3): no line editing, no echo, no signals, no
// translation of CR/NL on input or output, 8-bit characters.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP |
		unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// close closes the master first, which hangs up the slave for every
// process that has it open (what a client sees when a USB adapter is
// pulled), then the board's own slave descriptor.
func (p *pty) close() error {
	errM := p.master.Close()
	errS := p.slave.Close()
	if errM != nil {
		return errM
	}
	return errS
}

// Termios reads the terminal settings of the board's line, as its client
// set them, through the board's own descriptor on the slave (no new open,
// which TIOCEXCL could refuse), so a test can check who changed them.
func (b *Board) Termios() (*unix.Termios, error) {
	rc, err := b.pty.slave.SyscallConn()
	if err != nil {
		return nil, err
	}
	var t *unix.Termios
	var terr error
	if err := rc.Control(func(fd uintptr) { t, terr = unix.IoctlGetTermios(int(fd), unix.TCGETS) }); err != nil {
		return nil, err
	}
	return t, terr
}
