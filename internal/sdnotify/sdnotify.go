// Package sdnotify speaks systemd's notify protocol (sd_notify(3)): state
// lines sent as datagrams to the socket named by $NOTIFY_SOCKET. Without
// that variable (not run by systemd, or not Type=notify) it does nothing.
package sdnotify

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"
)

// Notifier sends state lines to systemd.
type Notifier struct {
	addr *net.UnixAddr // nil: not under systemd
}

// New returns a Notifier for the socket path (the value of $NOTIFY_SOCKET);
// an empty path gives one that does nothing. A leading '@' names an
// abstract socket.
func New(socket string) *Notifier {
	if socket == "" {
		return &Notifier{}
	}
	if strings.HasPrefix(socket, "@") {
		socket = "\x00" + socket[1:]
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}
}

// Enabled reports whether systemd is listening.
func (n *Notifier) Enabled() bool { return n.addr != nil }

// sendTimeout bounds a send: a datagram socket whose reader lags (its
// queue is full) blocks the writer, and the daemon's loops must not wait
// on systemd.
const sendTimeout = time.Second

// Send sends state (e.g. "READY=1", "WATCHDOG=1", "STATUS=..."), waiting
// at most a second for room on the socket. Errors are returned but a
// daemon can ignore them: systemd is optional.
func (n *Notifier) Send(state string) error {
	if n.addr == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(sendTimeout)); err != nil {
		return err
	}
	_, err = conn.Write([]byte(state))
	return err
}

// WatchdogInterval is how often systemd wants WATCHDOG=1: half of
// $WATCHDOG_USEC, if that is set for this process ($WATCHDOG_PID, when set,
// must be ours). ok is false when no watchdog is asked for.
func WatchdogInterval(getenv func(string) string, pid int) (time.Duration, bool) {
	usec, err := strconv.ParseInt(getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || usec <= 0 {
		return 0, false
	}
	if p := getenv("WATCHDOG_PID"); p != "" && p != strconv.Itoa(pid) {
		return 0, false
	}
	return time.Duration(usec) * time.Microsecond / 2, true
}

// Watchdog sends WATCHDOG=1 every interval while check, asked at each
// tick, reports no error, until ctx ends. report is told when check starts
// failing (with its error) and when it passes again (nil), once per change.
// Run it on a goroutine its caller waits for.
func (n *Notifier) Watchdog(ctx context.Context, interval time.Duration,
	check func(now time.Time) error, report func(err error)) {
	Keepalive(ctx, interval, check, func() { n.Send("WATCHDOG=1") }, report)
}

// ExtendTimeout is the state line that asks systemd (236 or later) to
// extend the timeout of the unit's current state (starting, running, or
// stopping) to d from now, for a service still making progress, e.g. one
// not READY yet. Beyond the state's configured timeout (TimeoutStartSec=
// ...), it must be sent again within every d, or the timeout strikes.
func ExtendTimeout(d time.Duration) string {
	return "EXTEND_TIMEOUT_USEC=" + strconv.FormatInt(d.Microseconds(), 10)
}

// Keepalive calls kick every interval while check, asked at each tick,
// reports no error, until ctx ends (a tick is never kicked once ctx has
// ended). report, if not nil, is told when check starts failing (with its
// error) and when it passes again (nil), once per change. Run it on a
// goroutine its caller waits for.
func Keepalive(ctx context.Context, interval time.Duration,
	check func(now time.Time) error, kick func(), report func(err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if ctx.Err() != nil {
				return
			}
			err := check(now)
			if (err != nil) != failing {
				failing = err != nil
				if report != nil {
					report(err)
				}
			}
			if err == nil {
				kick()
			}
		}
	}
}
