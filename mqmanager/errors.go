package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RemoteError is an error reply received by a Client: the manager answered,
// and its answer is an error with a code.
type RemoteError struct {
	Serial  string // the fixture that answered
	Method  string
	Code    string // one of jigapi's Code* constants, or a newer manager's own
	Message string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s %s: %s: %s", e.Serial, e.Method, e.Code, e.Message)
}

// Transport outcomes of a request. Each is tested with errors.Is; the errors
// a Client returns wrap them with the serial and the cause.
var (
	// ErrNoFixture: the broker returned the request as unroutable: no manager
	// is bound for that serial. Reported at once, not at the deadline.
	ErrNoFixture = errors.New("no fixture on the bus")
	// ErrTimeout: no reply came by the deadline: the request was routed
	// and not answered (*TimeoutError), or the deadline passed while
	// connecting, after the broker accepted the login (*ConnectTimeoutError).
	// errors.Is(err, context.DeadlineExceeded) holds for it too.
	ErrTimeout error = timeoutError{}
	// ErrBrokerUnreachable: the broker could not be reached, or the
	// connection was lost while the request was pending.
	ErrBrokerUnreachable = errors.New("broker unreachable")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("mqmanager: client closed")
	// ErrAlreadyServed: another manager holds this serial's queue.
	ErrAlreadyServed = errors.New("serial already served by another manager")
	// ErrTutorialLocked: the tutorial queue (ServerConfig.TutorialQueue)
	// is another connection's exclusive queue, e.g. another manager's.
	ErrTutorialLocked = errors.New("tutorial queue locked")
)

type timeoutError struct{}

func (timeoutError) Error() string { return "timeout" }

func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// NoFixtureError is the ErrNoFixture outcome with the serial it was for.
type NoFixtureError struct {
	Serial string
	Key    string // the routing key that was returned
	Queue  bool   // the request was for a named queue (CallQueue), Serial
}

func (e *NoFixtureError) Error() string {
	if e.Queue {
		return "no queue " + e.Serial + " on the broker"
	}
	return "no fixture " + e.Serial + " on the bus"
}

// Is reports ErrNoFixture.
func (e *NoFixtureError) Is(target error) bool { return target == ErrNoFixture }

// TimeoutError is the ErrTimeout outcome with what timed out.
type TimeoutError struct {
	Serial string
	Method string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timeout: no reply from %s to %s by the deadline", e.Serial, e.Method)
}

// Is reports ErrTimeout and context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// ConnectTimeoutError is the ErrTimeout outcome of a connection that was
// not open by the deadline although the broker had accepted the login: the
// deadline was too short for the handshake, the broker was not
// unreachable. (A broker that sent nothing in the time left, or did not
// accept the login in it, is ErrBrokerUnreachable.)
type ConnectTimeoutError struct {
	URL string        // redacted
	Had time.Duration // the time left when the dial began
}

func (e *ConnectTimeoutError) Error() string {
	return fmt.Sprintf("timeout: the time left (%v) ran out while connecting to %s, which had accepted the login", e.Had, e.URL)
}

// Is reports ErrTimeout and context.DeadlineExceeded.
func (e *ConnectTimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

func unreachable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBrokerUnreachable, fmt.Sprintf(format, args...))
}
