package mqmanager

import (
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestRequestLost: what a request spent before the manager received it is
// its expiration (the time it was published with) less what its deadline
// leaves it at receipt; a caller's clock behind the manager's counts as
// spent, as it counts off the deadline; nothing without an expiration or
// a deadline, and never less than nothing.
func TestRequestLost(t *testing.T) {
	now := time.Now()
	ms := func(d time.Duration) int64 { return now.Add(d).UnixMilli() }
	cases := []struct {
		name       string
		expiration string
		deadline   any // the header, or nil
		want       time.Duration
	}{
		{"prompt", "2000", ms(2 * time.Second), 0},
		{"1.8 s on the way", "2000", ms(200 * time.Millisecond), 1800 * time.Millisecond},
		{"caller's clock 500 ms behind", "2000", ms(1500 * time.Millisecond), 500 * time.Millisecond},
		{"caller's clock ahead", "2000", ms(2500 * time.Millisecond), 0},
		{"no expiration", "", ms(time.Second), 0},
		{"expiration not a number", "soon", ms(time.Second), 0},
		{"no deadline", "2000", nil, 0},
	}
	for _, c := range cases {
		d := &amqp.Delivery{Expiration: c.expiration}
		if c.deadline != nil {
			d.Headers = amqp.Table{DeadlineHeader: c.deadline}
		}
		budget, _ := budgetOf(d)
		req := &Request{Deadline: deadlineOf(d), Budget: budget, Received: now}
		if got := req.Lost(); got < c.want-time.Millisecond || got > c.want+time.Millisecond {
			t.Errorf("%s: lost %v, want %v", c.name, got, c.want)
		}
	}
}
