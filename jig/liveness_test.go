package jig_test

import (
	"strings"
	"testing"
	"time"
)

// TestLivenessPortAbsent: a Device whose port is missing keeps retrying,
// which is progress: Liveness stays nil round after round. Only a
// supervisor that stops coming round is reported.
func TestLivenessPortAbsent(t *testing.T) {
	d := openDevice(t, testConfig(newLink(t))) // no board behind the link
	start := d.Progress()
	waitFor(t, "rounds over several backoff periods", 5*time.Second, func() bool {
		if err := d.Liveness(time.Now()); err != nil {
			t.Fatalf("retrying device reported stuck: %v", err)
		}
		return d.Progress().Sub(start) > 500*time.Millisecond
	})
	if d.Connected() {
		t.Fatal("connected without a board")
	}
	err := d.Liveness(d.Progress().Add(time.Minute))
	if err == nil || !strings.Contains(err.Error(), "serial supervisor") {
		t.Fatalf("a minute without a round: %v, want the supervisor reported stuck", err)
	}
}
