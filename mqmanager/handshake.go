package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// handshake watches one dial's socket until the connection is open.
// amqp091-go's DialConfig takes no context, so when ctx ends first (a
// signal, the deadline) the socket is closed, which makes DialConfig
// return at once. It also records whether the peer sent anything, so that
// a broker that never answered is not reported as speaking another
// protocol.
type handshake struct {
	ctx      context.Context
	deadline time.Time     // ctx's, or the default handshake limit
	had      time.Duration // the time left when the dial began
	stop     func() bool
	heard    atomic.Bool
	tuned    atomic.Bool // the client answered connection.tune: the login was accepted
	dialer   *net.Dialer // Broker.Dialer, or nil
}

// handshakeLimit bounds a handshake whose context has no deadline.
const handshakeLimit = 10 * time.Second

func newHandshake(ctx context.Context) *handshake {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(handshakeLimit)
	}
	return &handshake{ctx: ctx, deadline: deadline, had: time.Until(deadline), stop: func() bool { return true }}
}

// watch closes conn when ctx ends, until done, and returns conn with its
// reads recorded.
func (h *handshake) watch(conn net.Conn) net.Conn {
	h.stop = context.AfterFunc(h.ctx, func() { conn.Close() })
	return &heardConn{Conn: conn, heard: &h.heard, tuned: &h.tuned}
}

// done stops the watch; it reports false when ctx ended first, and the
// socket is closed.
func (h *handshake) done() bool { return h.stop() }

// silence explains err when the peer sent nothing: ctx cancelled (a
// signal: not an unreachable broker), or the time left ran out; nil when
// the peer said something, or closed the connection, or h is nil.
func (h *handshake) silence(err error) (reason error, abandoned bool) {
	if h == nil {
		return nil, false
	}
	if errors.Is(h.ctx.Err(), context.Canceled) {
		return fmt.Errorf("connecting abandoned: %w", h.ctx.Err()), true
	}
	if h.heard.Load() || !h.expired() {
		return nil, false
	}
	return &silentError{had: h.timeLeft(), err: err}, false
}

// timeLeft is the time the dial had, rounded for people; none (0s) if its
// deadline had passed already.
func (h *handshake) timeLeft() time.Duration {
	had := max(h.had, 0)
	if r := had.Round(time.Millisecond); r != 0 {
		return r
	}
	return had.Round(time.Microsecond)
}

// silentError is a dial the broker never answered within the time left. Its
// text is the same however the wait ended (the deadline's i/o timeout, or
// the socket closed as the context ended: amqp091-go reports either), so it
// leaves the transport's error out; Unwrap keeps it.
type silentError struct {
	had time.Duration
	err error
}

func (e *silentError) Error() string {
	return fmt.Sprintf("the broker sent nothing within the time left (%v)", e.had)
}

func (e *silentError) Unwrap() error { return e.err }

// ranOut reports a dial that failed because ctx's deadline passed after
// the broker had accepted the login (tuned: tunewatch.go), not a refusal
// of the broker's, which is the outcome whenever it came. Before the
// login was accepted (a TLS handshake, the login itself: loginStalled)
// the broker is unreachable.
func (h *handshake) ranOut(err error) bool {
	var ae *amqp.Error
	if h == nil || (errors.As(err, &ae) && ae.Server) {
		return false
	}
	return h.tuned.Load() && h.expired()
}

// expired reports that the dial's deadline has passed: ctx's, or the
// socket's (the same instant; the socket's read may fail first).
func (h *handshake) expired() bool {
	return errors.Is(h.ctx.Err(), context.DeadlineExceeded) || !time.Now().Before(h.deadline)
}

// loginStalled reports a dial whose deadline passed while the broker was
// checking the login: amqp091-go says amqp.ErrCredentials of any socket
// that closes then, ours included, and RabbitMQ answers a wrong user or
// password only after 3 s, so either may be the cause.
func (h *handshake) loginStalled(err error) bool {
	return h != nil && err == amqp.ErrCredentials && h.heard.Load() && h.expired()
}

// heardConn records that the peer sent something, and that the client
// wrote connection.tune-ok (tuneWatch).
type heardConn struct {
	net.Conn
	heard *atomic.Bool
	tuned *atomic.Bool
	out   tuneWatch
}

func (c *heardConn) Write(p []byte) (int, error) {
	if !c.tuned.Load() && c.out.sees(p) {
		c.tuned.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *heardConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.heard.Store(true)
	}
	return n, err
}
