package testutil

import (
	"sync"
	"time"
)

// Clock is a settable clock for code that takes a func() time.Time, so a
// test moves time forward instead of sleeping through it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
