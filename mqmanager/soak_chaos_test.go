package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
)

// gate releases the soak's requests in tranches, so that every fault falls
// among requests: a restart takes seconds, in which the clients would
// otherwise spend the whole budget on quick failures.
type gate struct {
	mu       sync.Mutex
	allowed  int64
	released chan struct{} // closed, and replaced, at each release
}

func (g *gate) release(upTo int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.allowed = upTo
	close(g.released)
	g.released = make(chan struct{})
}

// wait waits until request n is released; false if ctx ends first.
func (g *gate) wait(ctx context.Context, n int64) bool {
	for {
		g.mu.Lock()
		ok, released := n <= g.allowed, g.released
		g.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-released:
		case <-ctx.Done():
			return false
		}
	}
}

type fault int

const (
	faultCut     fault = iota // the proxy cuts every link
	faultClose                // rabbitmqctl close_connection of a manager's or a client's link
	faultRestart              // the broker node stops and starts again
)

// chaos injects a soak's faults, one at a time, each when half of the
// tranche of requests released before it is done.
type chaos struct {
	node     *testbroker.Node
	proxy    *testutil.Proxy
	managers []*watched
	done     *atomic.Int64 // requests ended
	gate     *gate

	injected [3]int
	closed   map[string]int // forced closes by kind ("mgr", "cli")
	backs    []time.Duration
	errs     []error
}

func newChaos(n *testbroker.Node, p *testutil.Proxy, managers []*watched, done *atomic.Int64) *chaos {
	return &chaos{node: n, proxy: p, managers: managers, done: done,
		gate: &gate{released: make(chan struct{})}, closed: map[string]int{}}
}

// plan spreads the restarts evenly among alternating cuts and closes.
func plan(size soakSize) []fault {
	var others []fault
	for i := 0; i < max(size.cuts, size.closes); i++ {
		if i < size.cuts {
			others = append(others, faultCut)
		}
		if i < size.closes {
			others = append(others, faultClose)
		}
	}
	faults := make([]fault, 0, len(others)+size.restarts)
	for i, r := 0, 0; i <= len(others); i++ {
		for r < size.restarts && i == (r+1)*len(others)/(size.restarts+1) {
			faults = append(faults, faultRestart)
			r++
		}
		if i < len(others) {
			faults = append(faults, others[i])
		}
	}
	return faults
}

// run injects the planned faults, releasing the requests tranche by
// tranche, and finally the rest of them.
func (ch *chaos) run(ctx context.Context, size soakSize) {
	faults := plan(size)
	ch.errs = append(ch.errs, tranches(ctx, ch.gate, ch.done, int64(size.requests), len(faults),
		func(k int) error { return ch.inject(faults[k]) })...)
}

// tranches releases total requests through g in n+1 tranches, calling
// inject(k) for each of n faults once half of the tranche before it is
// done, and finally releases the rest. It returns the faults' errors.
func tranches(ctx context.Context, g *gate, done *atomic.Int64, total int64, n int, inject func(k int) error) []error {
	defer g.release(total)
	step := total / int64(n+1)
	var errs []error
	for k := range n {
		g.release(step * int64(k+1))
		if !awaitDone(ctx, done, step*int64(k)+step/2) {
			return append(errs, fmt.Errorf("fault %d of %d: requests stalled: %v", k+1, n, ctx.Err()))
		}
		if err := inject(k); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// awaitDone polls (the clients signal nothing) until n requests ended.
func awaitDone(ctx context.Context, done *atomic.Int64, n int64) bool {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for done.Load() < n {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

func (ch *chaos) inject(f fault) (err error) {
	switch f {
	case faultCut:
		ch.proxy.Cut()
	case faultClose:
		err = ch.forceClose(ch.injected[faultClose])
	case faultRestart:
		err = ch.restart()
	}
	if err == nil {
		ch.injected[f]++
	}
	return err
}

// restart stops the broker node and starts it again, and checks that every
// manager serves again within backBound of the node's return.
func (ch *chaos) restart() error {
	if err := ch.node.Stop(); err != nil {
		return err
	}
	for _, m := range ch.managers {
		drain(m.ready) // none can come while the node is down
	}
	if err := ch.node.Start(); err != nil {
		return err
	}
	back := time.Now()
	var slowest time.Duration
	for i, m := range ch.managers {
		select {
		case at := <-m.ready:
			slowest = max(slowest, at.Sub(back))
		case <-time.After(30 * time.Second):
			return fmt.Errorf("restart: manager %d not serving 30 s after the broker's return", i)
		}
	}
	ch.backs = append(ch.backs, slowest)
	if slowest > backBound {
		return fmt.Errorf("restart: a manager served again %v after the broker's return, bound %v", slowest, backBound)
	}
	return nil
}

// forceClose closes, as an operator would, the link of a manager (even k)
// or of a client (odd k), each in turn.
func (ch *chaos) forceClose(k int) error {
	kind := []string{"mgr", "cli"}[k%2]
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		conns, err := ch.node.Connections()
		if err != nil {
			return err
		}
		var ours []testbroker.Conn
		for _, c := range conns {
			if strings.HasPrefix(c.Name, "soak-"+kind+"-") {
				ours = append(ours, c)
			}
		}
		if len(ours) == 0 {
			continue // all between links: list again
		}
		if err := ch.node.CloseConnection(ours[(k/2)%len(ours)].Pid, "soak: forced close"); err == nil {
			ch.closed[kind]++
			return nil
		}
	}
	return fmt.Errorf("close: no %s connection closed within 30 s", kind)
}

func (ch *chaos) String() string {
	return fmt.Sprintf("faults: %d cuts, %d forced closes (%d managers', %d clients'), %d restarts; "+
		"slowest manager back after each restart %v (bound %v)",
		ch.injected[faultCut], ch.injected[faultClose], ch.closed["mgr"], ch.closed["cli"],
		ch.injected[faultRestart], ch.backs, backBound)
}

// check fails the test unless every planned fault was injected.
func (ch *chaos) check(t *testing.T, size soakSize) {
	t.Helper()
	if err := errors.Join(ch.errs...); err != nil {
		t.Fatal(err)
	}
	if ch.injected != [3]int{size.cuts, size.closes, size.restarts} {
		t.Fatalf("injected %v, planned %d cuts, %d closes, %d restarts", ch, size.cuts, size.closes, size.restarts)
	}
}
