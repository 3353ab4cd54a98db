package main

import (
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// TestStatusLineSharedRead: a status answered by a read that was already
// in flight when the request reached the manager (began_before_ms) says
// so, and by how much; a read of the request's own says nothing more than
// read=.
func TestStatusLineSharedRead(t *testing.T) {
	st := jigapi.Status{Port: "/dev/ttyUSB0", Connected: true, Identity: "ACME", State: "READY", ReadMS: 1402.9,
		BeganBeforeMS: 288}
	shared := statusLine(outcome{Serial: "JIG-0001", ElapsedMS: 1190}, st)
	if want := "read=1402.9ms (shared: began 288.0ms before this request arrived)"; !strings.Contains(shared, want) {
		t.Errorf("a read in flight before the request: got %q, want it to contain %q", shared, want)
	}
	st.BeganBeforeMS = 0
	own := statusLine(outcome{Serial: "JIG-0001", ElapsedMS: 1610}, st)
	if strings.Contains(own, "shared") || !strings.Contains(own, "read=1402.9ms") {
		t.Errorf("the request's own read: got %q", own)
	}
}
