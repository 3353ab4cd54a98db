package main

import (
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// TestStatusLineSharedRead: a status answered by a read that was already
// in flight when the request was sent (a read longer than the round trip)
// says so, and by at least how much it began before; a read of the request
// itself says nothing more than read=.
func TestStatusLineSharedRead(t *testing.T) {
	st := jigapi.Status{Port: "/dev/ttyUSB0", Connected: true, Identity: "ACME", State: "READY", ReadMS: 1602}
	shared := statusLine(outcome{Serial: "JIG-0001", ElapsedMS: 1190}, st)
	if want := "read=1602.0ms (shared: began at least 412ms before this request)"; !strings.Contains(shared, want) {
		t.Errorf("a read in flight before the request: got %q, want it to contain %q", shared, want)
	}
	own := statusLine(outcome{Serial: "JIG-0001", ElapsedMS: 1610}, st)
	if strings.Contains(own, "shared") || !strings.Contains(own, "read=1602.0ms") {
		t.Errorf("the request's own read: got %q", own)
	}
}
