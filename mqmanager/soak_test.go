package mqmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The soak's server-side ledger: executions per request id, and executions
// that started after their caller's deadline.
var (
	soakRuns sync.Map // id -> *atomic.Int32
	soakLate atomic.Int64
)

func soakHandler(_ context.Context, r *Request) (any, error) {
	if !r.Deadline.IsZero() && time.Now().After(r.Deadline) {
		soakLate.Add(1)
	}
	var a echoArgs
	if err := r.Decode(&a); err != nil {
		return nil, err
	}
	n, _ := soakRuns.LoadOrStore(a.Text, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
	return a, nil
}

type soakSize struct{ managers, clients, requests, cuts int }

func soakConfig() soakSize {
	if os.Getenv("JIGMQ_SOAK") == "full" {
		return soakSize{managers: 5, clients: 20, requests: 10000, cuts: 20}
	}
	return soakSize{managers: 3, clients: 8, requests: 2000, cuts: 4}
}

// ledger counts the outcomes seen by the callers.
type ledger struct {
	ok, noFixture, timeout, unreachable atomic.Int64
	lost, hung, misattributed           atomic.Int64
}

// TestSoak: managers and clients on links that are cut during the run.
// Every request must end in a defined outcome by its deadline, each reply
// must be the answer to its own request, and no request may run twice or
// after its caller gave up. JIGMQ_SOAK=full runs the full size.
func TestSoak(t *testing.T) {
	size := soakConfig()
	base := runtime.NumGoroutine()
	p, proxyURL := newProxy(t)
	serials := make([]string, size.managers)
	servers := make([]*runningServer, size.managers)
	for i := range serials {
		servers[i], _, _ = serverVia(t, proxyURL, 2*time.Second)
		serials[i] = servers[i].serial
	}
	var l ledger
	var done atomic.Int64
	run := uniqueSerial(t) // request ids are unique across runs too
	lateBefore := soakLate.Load()
	stop := make(chan struct{})
	cutter := startCutter(p, size, &done, stop)
	runClients(t, proxyURL, size, serials, run, &l, &done)
	close(stop)
	<-cutter
	report := fmt.Sprintf("ok %d, no fixture %d, timeout %d, unreachable %d; lost %d, hung %d, misattributed %d",
		l.ok.Load(), l.noFixture.Load(), l.timeout.Load(), l.unreachable.Load(), l.lost.Load(), l.hung.Load(), l.misattributed.Load())
	t.Log(report)
	if l.lost.Load()+l.hung.Load()+l.misattributed.Load() != 0 || l.ok.Load() == 0 {
		t.Fatal(report)
	}
	checkExecutions(t, run, soakLate.Load()-lateBefore)
	for _, srv := range servers {
		srv.stop(t)
	}
	p.close()
	waitGoroutines(t, base)
}

// startCutter cuts every link each time another share of the requests is
// done; the returned channel closes when it has stopped.
func startCutter(p *proxy, size soakSize, done *atomic.Int64, stop chan struct{}) chan struct{} {
	out := make(chan struct{})
	go func() {
		defer close(out)
		step := int64(size.requests / (size.cuts + 1))
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for cuts := 0; cuts < size.cuts; {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if done.Load() >= step*int64(cuts+1) {
				p.cut()
				cuts++
			}
		}
	}()
	return out
}

func runClients(t *testing.T, url string, size soakSize, serials []string, run string, l *ledger, done *atomic.Int64) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for i := 0; i < size.clients; i++ {
		c, err := Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{url}, Heartbeat: 2 * time.Second},
			ReplyMode: allModes[i%len(allModes)]})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for n := next.Add(1); n <= int64(size.requests); n = next.Add(1) {
				soakOne(c, serials[int(n)%len(serials)], fmt.Sprintf("%s-%d", run, n), l)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
}

func soakOne(c *Client, serial, id string, l *ledger) {
	const timeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	r, err := c.Request(ctx, serial, "Soak", echoArgs{Text: id})
	if time.Since(start) > timeout+500*time.Millisecond {
		l.hung.Add(1)
	}
	switch {
	case err == nil:
		var got echoArgs
		if json.Unmarshal(r.Result, &got) != nil || got.Text != id || r.Serial != serial {
			l.misattributed.Add(1)
		}
		l.ok.Add(1)
	case errors.Is(err, ErrNoFixture): // a manager between its links
		l.noFixture.Add(1)
	case errors.Is(err, ErrTimeout):
		l.timeout.Add(1)
	case errors.Is(err, ErrBrokerUnreachable):
		l.unreachable.Add(1)
	default:
		if l.lost.Add(1) <= 5 {
			fmt.Println("lost:", err)
		}
	}
}

func checkExecutions(t *testing.T, run string, late int64) {
	dup := 0
	soakRuns.Range(func(k, v any) bool {
		if strings.HasPrefix(k.(string), run+"-") && v.(*atomic.Int32).Load() > 1 {
			dup++
		}
		return true
	})
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
}
