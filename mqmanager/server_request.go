package mqmanager

import (
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
	Received      time.Time
	size          int // of the body as received
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
	if d.Expiration == "" || d.Timestamp.IsZero() {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(d.Expiration, 10, 64)
	if err != nil || ms < 0 {
		return time.Time{}
	}
	return d.Timestamp.Add(time.Second + time.Duration(ms)*time.Millisecond)
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
