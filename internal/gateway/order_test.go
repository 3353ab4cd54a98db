package gateway

import (
	"bytes"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

// TestStreamKeepsChangeOrder: status calls coming back from many
// goroutines at once (and a manager's events beside them) reach a stream
// in the order the table took them: the status a stream is shown never
// goes back to an earlier call's, and its last message is the row as the
// table has it.
func TestStreamKeepsChangeOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Broker.URLs = []string{testURL()}
	g, err := New(cfg, "test", testutil.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	const serial = "ORDER"
	t0 := time.Now()
	g.apply(jigapi.Event{Serial: serial, Kind: jigapi.EvtHeartbeat, At: t0, Summary: jigapi.Summary{Connected: true}})
	c, ok := g.hub.subscribe()
	if !ok {
		t.Fatal("no stream")
	}
	const writers, each = 8, 25 // 200 changes and 8 events: within a stream's buffer
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				sent := t0.Add(time.Duration(seq.Add(1)) * time.Millisecond)
				g.statusCame(serial, &statusCall{sent: sent, st: &jigapi.Status{Connected: true, ReadAt: sent}})
			}
			g.apply(jigapi.Event{Serial: serial, Kind: jigapi.EvtHeartbeat, At: t0.Add(time.Duration(w) * time.Second),
				Summary: jigapi.Summary{Connected: true}})
		})
	}
	wg.Wait()
	g.hub.unsubscribe(c) // publish is synchronous: every message is in c
	var last time.Time
	var n int
	for msg := range c {
		_, data, _ := bytes.Cut(msg, []byte("data: "))
		var f Fixture
		if err := json.Unmarshal(bytes.TrimSpace(data), &f); err != nil {
			t.Fatalf("message %q: %v", msg, err)
		}
		if f.Status != nil {
			if f.Status.ReadAt.Before(last) {
				t.Fatalf("message %d shows the read at %v after one at %v", n, f.Status.ReadAt, last)
			}
			last = f.Status.ReadAt
		}
		n++
	}
	row, _ := g.fleet.Get(serial)
	if row.Status == nil || !row.Status.ReadAt.Equal(last) {
		t.Fatalf("the stream's last status read at %v, the row's %+v", last, row.Status)
	}
	if n < writers+1 {
		t.Errorf("%d messages for %d changes", n, writers*each+writers)
	}
}
