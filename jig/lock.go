package jig

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrInUse means another process (or another Device) holds the port. It is
// returned wrapped under ErrUnavailable, with the port's path and, when
// /proc/locks names it, the pid of the lock's holder.
var ErrInUse = errors.New("in use by another process")

// portLock is the advisory lock a Device holds on its port for as long as
// the port is open: flock(LOCK_EX|LOCK_NB) on a descriptor of its own. A
// flock binds root too, which TIOCEXCL (taken by go.bug.st/serial) does
// not: CAP_SYS_ADMIN bypasses TIOCEXCL. Two managers configured with one
// port, by a copied configuration or a udev link to the wrong adapter,
// would otherwise both open it and read each other's answers.
type portLock struct {
	fd int
	id fileID // the node the lock is on
}

// lockPort takes the port's lock before anything else touches it.
//
// The order matters: go.bug.st/serial's Open applies raw mode and the line
// settings (and with them, on a real UART, possibly a change of the modem
// lines) the moment it has a descriptor. A process refused the port must
// leave those settings exactly as the holder set them, so the lock is taken
// on a separate descriptor, opened read-only, non-blocking (no wait for
// carrier) and without becoming the controlling terminal, none of which
// changes the line. Only once the lock is held is the port opened for use.
func lockPort(path string) (*portLock, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EBUSY) { // TIOCEXCL held by a process we may not bypass
		return nil, fmt.Errorf("%w (it holds the port exclusively: TIOCEXCL)", ErrInUse)
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	l := &portLock{fd: fd, id: idOf(&st)}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, inUse(l.id)
		}
		return nil, fmt.Errorf("flock: %w", err)
	}
	return l, nil
}

// release drops the lock. Call it after the port itself is closed, so the
// lock covers the port's whole life.
func (l *portLock) release() {
	if l != nil {
		unix.Close(l.fd) // closing the last descriptor drops the flock
	}
}

// inUse is ErrInUse, naming the lock's holder if /proc/locks does.
func inUse(id fileID) error {
	if pid := lockHolder(id); pid > 0 {
		return fmt.Errorf("%w (pid %d holds its lock)", ErrInUse, pid)
	}
	return fmt.Errorf("%w (another process holds its lock)", ErrInUse)
}

// lockHolder is the pid of the process holding a flock on the node id,
// from /proc/locks ("1: FLOCK  ADVISORY  WRITE 1234 00:1a:5 0 EOF", the
// device as hex major:minor of the file system, then the inode), or 0 if
// it is not listed (in another pid namespace it shows as 0 too).
func lockHolder(id fileID) int {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	node := fmt.Sprintf("%02x:%02x:%d", unix.Major(id.dev), unix.Minor(id.dev), id.ino)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 6 || fs[1] != "FLOCK" || fs[5] != node {
			continue // a waiter's line ("-> FLOCK") has one field more
		}
		if pid, err := strconv.Atoi(fs[4]); err == nil {
			return pid
		}
	}
	return 0
}
