package jigapi_test

import (
	"math"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// TestSummaryEvery: the heartbeat a follower takes from an event is the
// announced one within the manager's bounds, the default if none.
func TestSummaryEvery(t *testing.T) {
	for _, c := range []struct {
		secs float64
		want time.Duration
	}{
		{0, jigapi.DefaultHeartbeat}, {-3, jigapi.DefaultHeartbeat}, {math.NaN(), jigapi.DefaultHeartbeat},
		{0.001, jigapi.MinHeartbeat}, {2.5, 2500 * time.Millisecond}, {1e9, jigapi.MaxHeartbeat}, {math.Inf(1), jigapi.MaxHeartbeat},
	} {
		if got := (jigapi.Summary{HeartbeatS: c.secs}).Every(); got != c.want {
			t.Errorf("heartbeat_s %v: Every() = %v, want %v", c.secs, got, c.want)
		}
	}
}
