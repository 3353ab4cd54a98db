package mqmanager

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

// TestFollowTellsDownAndReady: a follower whose link is cut tells it at
// once (OnDown, with why), and tells its return (OnReady) once it follows
// again; a follower that cannot reach the broker tells each failed attempt.
func TestFollowTellsDownAndReady(t *testing.T) {
	p, url := testutil.NewProxy(t, testURL())
	ready := make(chan struct{}, 4)
	down := make(chan error, 4)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		err := FollowEvents(ctx, FollowConfig{Broker: Broker{URLs: []string{url}}, Serials: []string{"FOLLOW-DOWN"},
			ReconnectMax: 200 * time.Millisecond, Logger: testutil.Logger(t),
			OnReady: func() { notifyNB(ready) }, OnDown: func(err error) {
				select { // never blocks the follower: a test that stopped reading is not waiting
				case down <- err:
				default:
				}
			}},
			func(jigapi.Event) {})
		if err != nil {
			t.Errorf("FollowEvents: %v", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	awaitSignal(t, ready, "ready")
	p.Cut()
	if err := awaitErr(t, down, "down after the cut"); err == nil {
		t.Error("OnDown with a nil error: want why the link went down")
	}
	awaitSignal(t, ready, "ready again after the cut")
	p.Close() // nothing listens any more: every attempt fails
	if err := awaitErr(t, down, "down after the proxy closed"); err == nil {
		t.Error("OnDown with a nil error")
	}
	if err := awaitErr(t, down, "a failed attempt told"); err == nil {
		t.Error("OnDown with a nil error for a failed attempt")
	}
}

func awaitSignal(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("not %s within 10s", what)
	}
}

func awaitErr(t *testing.T, c <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("not %s within 10s", what)
		return nil
	}
}
