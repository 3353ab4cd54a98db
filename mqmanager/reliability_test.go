package mqmanager

import (
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// serverVia starts a server whose link goes through a proxy, with a short
// heartbeat and backoff; downs and readies receive the time of each link
// loss and of each start of serving.
func serverVia(t *testing.T, proxyURL string, hb time.Duration) (srv *runningServer, downs, readies chan time.Time) {
	w := serveOn(t, Broker{URLs: []string{proxyURL}, Heartbeat: hb},
		func(c *ServerConfig) { c.ReconnectMax = 200 * time.Millisecond })
	return w.runningServer, w.down, w.ready
}

// TestBlackHoleDetected: a link that silently drops every byte is noticed
// within 1.5 heartbeats plus the one-second close, also right after
// connecting; the server reconnects once the route is back and serves.
func TestBlackHoleDetected(t *testing.T) {
	const hb = 2 * time.Second
	limit := hb*3/2 + closeGrace
	p, proxyURL := testutil.NewProxy(t, testURL())
	srv, downs, readies := serverVia(t, proxyURL, hb)
	c := dialClient(t, ReplyDirect)
	for round := 0; round < 2; round++ {
		stalled := time.Now()
		p.Stall(true)
		var down time.Time
		select {
		case down = <-downs:
		case <-time.After(3 * limit):
			t.Fatalf("round %d: black hole not detected within %v", round, 3*limit)
		}
		if took := down.Sub(stalled); took > limit {
			t.Fatalf("round %d: black hole detected after %v, bound %v", round, took, limit)
		}
		p.Cut()
		p.Stall(false)
		select {
		case <-readies: // right after this, the next round stalls a fresh link
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: not serving again within 30s", round)
		}
	}
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got := srv.Stats().Reconnects; got != 2 {
		t.Fatalf("reconnects %d, want 2", got)
	}
}

// TestCutReconnects: connections closed under the server (a broker
// restart, a forced close) are rebuilt, and requests are answered again.
func TestCutReconnects(t *testing.T) {
	p, proxyURL := testutil.NewProxy(t, testURL())
	srv, _, readies := serverVia(t, proxyURL, 5*time.Second)
	c := dialClient(t, ReplyShared)
	for i := 0; i < 3; i++ {
		p.Cut()
		select {
		case <-readies:
		case <-time.After(30 * time.Second):
			t.Fatalf("cut %d: not serving again within 30s", i)
		}
		if _, err := c.Request(ctxTimeout(t, 5*time.Second), srv.serial, "Echo", nil); err != nil {
			t.Fatalf("after cut %d: %v", i, err)
		}
	}
}
