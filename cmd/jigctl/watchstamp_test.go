package main

import (
	"testing"
	"time"
)

// TestWatchStampsWhenAnswered: a poll's outcomes are printed together,
// once its slowest request ends, but each change is stamped when its
// answer came. A READY answered in 10 ms beside a silent board's
// serial_timeout at 4.9 s was stamped 4.9 s late: a stale READY shown as
// fresh (found from outside, on a frozen link too).
func TestWatchStampsWhenAnswered(t *testing.T) {
	w := newWatcher(&globals{output: "json"}, []string{"JIG-0001", "JIG-0002"}, time.Second)
	start := time.Date(2026, 12, 8, 1, 44, 13, 0, time.UTC)
	now := start.Add(4910 * time.Millisecond)
	w.update(pollResult{start: start, round: true, outs: []outcome{
		{Serial: "JIG-0001", Outcome: "ok", ElapsedMS: 10},
		{Serial: "JIG-0002", Outcome: "error_reply", ElapsedMS: 4900},
	}}, now)
	for serial, want := range map[string]time.Time{"JIG-0001": start.Add(10 * time.Millisecond),
		"JIG-0002": start.Add(4900 * time.Millisecond)} {
		if got := w.rows[serial].at; !got.Equal(want) {
			t.Errorf("%s stamped %v, want %v (when it was answered)", serial, got, want)
		}
	}
	if at := answered(start, outcome{ElapsedMS: 6000}, now); !at.Equal(now) {
		t.Errorf("an outcome timed past now is stamped %v, want now %v", at, now)
	}
}
