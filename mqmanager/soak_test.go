package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// soakSize is a soak's load and the faults injected during it.
type soakSize struct {
	managers, clients, requests int
	cuts, closes, restarts      int
	limit                       time.Duration // the whole run's deadline
}

func soakConfig() soakSize {
	if os.Getenv("JIGMQ_SOAK") == "full" {
		return soakSize{managers: 5, clients: 20, requests: 10000, cuts: 20, closes: 20, restarts: 2, limit: 10 * time.Minute}
	}
	return soakSize{managers: 3, clients: 8, requests: 2000, cuts: 4, closes: 4, restarts: 1, limit: 3 * time.Minute}
}

// ledger counts the outcomes seen by the callers.
type ledger struct {
	ok, noFixture, timeout, unreachable atomic.Int64
	lost, hung, misattributed           atomic.Int64
	wrongBoard                          atomic.Int64 // misattributed: read from another board, or none
	done                                atomic.Int64 // requests ended, whatever the outcome
}

func (l *ledger) String() string {
	return fmt.Sprintf("%d requests: ok %d, no fixture %d, timeout %d, unreachable %d; lost %d, hung %d, misattributed %d (wrong board %d)",
		l.done.Load(), l.ok.Load(), l.noFixture.Load(), l.timeout.Load(), l.unreachable.Load(),
		l.lost.Load(), l.hung.Load(), l.misattributed.Load(), l.wrongBoard.Load())
}

// check fails the test unless every one of the total requests ended, some
// ok, and none was lost, hung or misattributed.
func (l *ledger) check(t *testing.T, total int) {
	t.Helper()
	if l.lost.Load()+l.hung.Load()+l.misattributed.Load() != 0 || l.ok.Load() == 0 || l.done.Load() != int64(total) {
		t.Fatalf("%v", l)
	}
}

// TestSoak: fixture managers, each reading its own jig/sim board on a real
// pseudo-terminal through a jig.Device, and clients asking them for the
// boards' status, on a private broker node, through a proxy, under load
// while links are cut, connections are closed by the broker's operator
// (rabbitmqctl close_connection) and the broker is restarted. Every request
// must end in a defined outcome by its deadline, each reply must be the
// answer to its own request, read from its own fixture's board, no request
// may run twice or after its caller gave up, every manager must serve again
// within backBound of the broker's return, and no goroutine may be left
// behind. JIGMQ_SOAK=full runs the full size.
func TestSoak(t *testing.T) {
	size := soakConfig()
	node := private.Get(t) // booted before the baseline: it keeps a goroutine
	base := runtime.NumGoroutine()
	p, proxyURL := testutil.NewProxy(t, node.GuestURL())
	fixtures := startFixtures(t, size.managers)
	managers := make([]*watched, len(fixtures))
	for i, fx := range fixtures {
		managers[i] = serveFixture(t, []string{proxyURL}, i, fx)
	}
	clients := dialSoakClients(t, proxyURL, size.clients)
	ctx, cancel := context.WithTimeout(context.Background(), size.limit)
	defer cancel()
	var l ledger
	run, lateBefore := uniqueSerial(t), soakLate.Load() // request ids are unique across runs too
	ch := newChaos(node, p, managers, &l.done)
	chaosDone := make(chan struct{})
	go func() { defer close(chaosDone); ch.run(ctx, size) }()
	runClients(ctx, clients, int64(size.requests), fixtures, run, &l, ch.gate)
	<-chaosDone
	t.Logf("%v; %v", &l, ch)
	ch.check(t, size)
	l.check(t, size.requests)
	checkExecutions(t, run, soakLate.Load()-lateBefore)
	for _, m := range managers {
		m.stop(t)
	}
	closeFixtures(t, fixtures, l.ok.Load())
	p.Close()
	waitGoroutines(t, base)
}

func dialSoakClients(t *testing.T, url string, n int) []*Client {
	clients := make([]*Client, n)
	for i := range clients {
		clients[i] = dialNamed(t, url, allModes[i%len(allModes)], fmt.Sprintf("soak-cli-%d", i), soakHeartbeat)
	}
	return clients
}

// runClients runs the requests, numbered 1 to total, on every client at
// once, each as soon as the gate releases it, and waits for them.
func runClients(ctx context.Context, clients []*Client, total int64, fixtures []*soakFixture, run string, l *ledger, g *gate) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for n := next.Add(1); n <= total && g.wait(ctx, n); n = next.Add(1) {
				quick := soakOne(c, fixtures[int(n)%len(fixtures)], fmt.Sprintf("%s-%d", run, n), l)
				l.done.Add(1)
				if quick {
					pause(ctx, soakRetryPause)
				}
			}
		}()
	}
	wg.Wait()
}

// soakRetryPause is how long a client waits after a failure that came at
// once (no fixture, broker unreachable), as a caller retrying would, rather
// than spend the requests in a tight loop while a link is being rebuilt.
const soakRetryPause = 50 * time.Millisecond

func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// soakOne asks fx's manager for its board's status and books the outcome;
// quick reports a failure that a caller would retry after a pause (no
// fixture, unreachable).
func soakOne(c *Client, fx *soakFixture, id string, l *ledger) (quick bool) {
	const timeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	r, err := c.Request(ctx, fx.serial, "SoakStatus", soakArgs{Request: id})
	if time.Since(start) > timeout+500*time.Millisecond {
		l.hung.Add(1)
	}
	switch {
	case err == nil:
		if right, board := fx.attribution(r, id); !right {
			l.misattributed.Add(1)
			if !board {
				l.wrongBoard.Add(1)
			}
		}
		l.ok.Add(1)
	case errors.Is(err, ErrNoFixture): // a manager between its links
		l.noFixture.Add(1)
		return true
	case errors.Is(err, ErrTimeout):
		l.timeout.Add(1)
	case errors.Is(err, ErrBrokerUnreachable):
		l.unreachable.Add(1)
		return true
	default:
		if l.lost.Add(1) <= 5 {
			fmt.Println("lost:", err)
		}
	}
	return false
}

func checkExecutions(t *testing.T, run string, late int64) {
	dup := 0
	soakRuns.Range(func(k, v any) bool {
		if strings.HasPrefix(k.(string), run+"-") && v.(*atomic.Int32).Load() > 1 {
			dup++
		}
		return true
	})
	t.Logf("%d requests ran twice, %d ran after their deadline", dup, late)
	if dup != 0 || late != 0 {
		t.Fatalf("%d requests ran twice, %d ran after their deadline", dup, late)
	}
}

// waitGoroutines waits for the goroutine count to fall back to base.
func waitGoroutines(t *testing.T, base int) {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
}
