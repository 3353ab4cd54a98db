package mqmanager

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Request is one request as a handler sees it.
type Request struct {
	Serial        string    // the serial it was addressed to: the manager's own, or Broadcast
	Method        string    // the last segment of the routing key
	Body          []byte    // the raw body; Decode parses it. Nil when over the size limit
	CorrelationID string    // echoed in the reply
	ReplyTo       string    // the queue the reply goes to
	AppID         string    // the caller's app_id, for logs
	UserID        string    // the broker-validated user_id, if the caller set it
	Deadline      time.Time // when the caller gives up; zero if it said nothing
	// Budget is the time the caller gave the request as it published it:
	// its expiration; zero if it said none.
	Budget   time.Duration
	Received time.Time
	size     int // of the body as received
}

// ErrStopped is the cause (context.Cause) of a handler's context that the
// server cancelled because it was stopping and ShutdownGrace passed before
// the handler returned.
var ErrStopped = errors.New("the manager stopped")

// cutByStop is the reply error of a handler cut short by the stop: the
// handler's own, a context error ("internal: context canceled"), tells
// its caller nothing of why, and other codes would blame what was not at
// fault (serial_timeout a board that was not given its time). An error
// the handler made otherwise, or of another cancellation, stays.
func cutByStop(ctx context.Context, err error, grace time.Duration) error {
	if err == nil || !errors.Is(err, context.Canceled) || !errors.Is(context.Cause(ctx), ErrStopped) {
		return err
	}
	return jigapi.Errorf(jigapi.CodeInternal, "the manager stopped before the request was finished "+
		"(it waited shutdown_grace, %v, for it)", grace)
}

// Lost is how much of its time the request had spent when the manager
// received it: its Budget less what it had left then (Deadline less
// Received); zero if it carried neither, or arrived with more left than
// its budget. The budget is a duration, so the only two-clock quantity
// is the time left, which the manager's deadline for the request already
// stands on: a caller's clock behind the manager's adds the difference
// to Lost, as it takes it off the deadline.
func (r *Request) Lost() time.Duration {
	if r.Budget <= 0 || r.Deadline.IsZero() {
		return 0
	}
	return max(r.Budget-r.Deadline.Sub(r.Received), 0)
}

// deadlineOf reads the caller's deadline from the DeadlineHeader, or else from
// timestamp + expiration (coarse: the timestamp has one-second resolution, so
// a second of slack is granted).
func deadlineOf(d *amqp.Delivery) time.Time {
	if v, ok := d.Headers[DeadlineHeader]; ok {
		if ms, ok := headerInt(v); ok && ms > 0 {
			return time.UnixMilli(ms)
		}
	}
	budget, ok := budgetOf(d)
	if !ok || d.Timestamp.IsZero() {
		return time.Time{}
	}
	return d.Timestamp.Add(time.Second + budget)
}

// budgetOf is the delivery's expiration as a duration; false if it has
// none, or not a number of milliseconds.
func budgetOf(d *amqp.Delivery) (time.Duration, bool) {
	ms, err := strconv.ParseInt(d.Expiration, 10, 64)
	if err != nil || ms < 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

func headerInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

func wireErrorOf(err error) *wireError {
	var e *jigapi.Error
	if errors.As(err, &e) {
		return &wireError{Code: e.Code, Message: e.Message}
	}
	return &wireError{Code: jigapi.CodeInternal, Message: err.Error()}
}
