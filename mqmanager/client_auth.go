package mqmanager

import (
	"encoding/json"

	amqp "github.com/rabbitmq/amqp091-go"
)

// replyCheck returns the reply-user check of a request to t, or nil when
// replies are not checked: CheckReplyUser is off, or t is a plain queue
// (CallQueue: the RPC tutorial's protocol names no fixture, and any manager
// sharing the queue may answer).
//
// The check runs on the reply path's reader, before a reply takes the
// request's place in its buffer, so that forged replies can neither be
// returned nor crowd out the genuine one.
func (c *Client) replyCheck(t target) func(*amqp.Delivery) bool {
	if !c.cfg.CheckReplyUser || t.exchange != Exchange {
		return nil
	}
	return func(d *amqp.Delivery) bool {
		serial, ok := replyFrom(t, d.Body)
		want := ""
		if ok {
			want = c.replyUser(serial)
		}
		if want != "" && d.UserId == want {
			return true
		}
		c.rejected.Add(1)
		c.log.Warn("discarding reply: not from the fixture's broker user", "to", t.serial, "method", t.method,
			"serial", serial, "user_id", d.UserId, "want_user", want, "correlation_id", d.CorrelationId)
		return false
	}
}

// replyFrom is the serial a reply to t is from: for a broadcast the one it
// names; otherwise the one asked, which a reply naming another contradicts
// (ok false).
func replyFrom(t target, body []byte) (serial string, ok bool) {
	named := replySerial(body)
	switch {
	case t.serial == Broadcast:
		return named, named != ""
	case named != "" && named != t.serial:
		return named, false
	}
	return t.serial, true
}

// replyUser is the broker user the manager of serial logs in as.
func (c *Client) replyUser(serial string) string {
	if c.cfg.ReplyUser != nil {
		return c.cfg.ReplyUser(serial)
	}
	return FixtureUser(serial)
}

// replySerial is the serial a broadcast reply names in its envelope, or ""
// when it names no valid one (a reply that cannot be attributed cannot be
// checked, so it is discarded).
func replySerial(body []byte) string {
	var env struct {
		Serial string `json:"serial"`
	}
	if json.Unmarshal(body, &env) != nil || !ValidSerial(env.Serial) {
		return ""
	}
	return env.Serial
}

// Rejected counts the replies discarded by the reply-user check: their
// user_id was not the user of the fixture they claim to come from.
func (c *Client) Rejected() uint64 { return c.rejected.Load() }
