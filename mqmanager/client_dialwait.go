package mqmanager

import (
	"context"
	"errors"
	"time"
)

// dialUnderWay is a Client's dial in progress, or its latest: the URL and
// the handshake that tells whether the broker has said anything.
type dialUnderWay struct {
	hs  *handshake
	url string
}

// waitedOut is the outcome of a request whose ctx ended while it waited
// for another caller's dial (had: its time left then). Nothing of it
// reached the bus, so it is not a request unanswered: cancelled, it is
// ctx's error; else it is what its own dial would have been, as that dial
// shows: a ConnectTimeoutError if the broker has accepted its login
// (tunewatch.go), else an unreachable broker, and so also when no dial is
// under way (the one waited for has just ended). So every request on a broker that says nothing
// (paused, or a TCP connect that hangs) has the same outcome, whichever
// took the dialling place.
func (c *Client) waitedOut(ctx context.Context, had time.Duration) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return ctx.Err()
	}
	d := c.underWay.Load()
	if d == nil {
		return unreachable("not connected within the time left (%v)", had)
	}
	switch {
	case d.hs.tuned.Load():
		return &ConnectTimeoutError{URL: Redact(d.url), Had: had}
	case d.hs.heard.Load():
		return unreachable("%s: not connected within the time left (%v): the broker has not accepted the login of the dial under way",
			Redact(d.url), had)
	}
	return unreachable("%s: not connected within the time left (%v): the broker sent nothing to the dial under way",
		Redact(d.url), had)
}
