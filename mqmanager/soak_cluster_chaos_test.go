package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// nodeFault is one fault of a cluster soak, as it happened.
type nodeFault struct {
	kind     faultKind
	node     int
	moved    int           // managers that were on the node, all re-homed
	slowest  time.Duration // the last of them serving again, from the fault's start
	downtime time.Duration // from the fault's start to the node's return
}

// clusterChaos takes one node at a time down and back, each when half of
// the tranche of requests released before it is done (see tranches).
type clusterChaos struct {
	rig      *clusterRig
	managers []*watched
	done     *atomic.Int64 // requests ended
	gate     *gate

	last    int // the node of the last fault
	faults  []nodeFault
	rehomes map[faultKind][]time.Duration
	errs    []error
}

func newClusterChaos(r *clusterRig, managers []*watched, done *atomic.Int64) *clusterChaos {
	return &clusterChaos{rig: r, managers: managers, done: done, gate: &gate{released: make(chan struct{})},
		last: -1, rehomes: map[faultKind][]time.Duration{}}
}

// run takes a node down and back three times a round: stopped, killed,
// paused.
func (ch *clusterChaos) run(ctx context.Context, size clusterSoakSize) {
	kinds := []faultKind{nodeStop, nodeKill, nodePause}
	n := size.rounds * len(kinds)
	ch.errs = append(ch.errs, tranches(ctx, ch.gate, ch.done, int64(size.requests), n,
		func(k int) error { return ch.inject(kinds[k%len(kinds)]) })...)
}

// target is the node with the most managers on it; among equals, the first
// after the last fault's node, so that faults go round the cluster.
func (ch *clusterChaos) target() int {
	count := make([]int, len(ch.rig.urls))
	for _, m := range ch.managers {
		if k := ch.rig.index(m.Node()); k >= 0 {
			count[k]++
		}
	}
	best := -1
	for i := range count {
		k := (ch.last + 1 + i) % len(count)
		if best < 0 || count[k] > count[best] {
			best = k
		}
	}
	return best
}

// inject takes the target node down in the way kind says, waits until
// every manager that was on it serves again elsewhere, and brings it back.
func (ch *clusterChaos) inject(kind faultKind) error {
	k := ch.target()
	ch.last = k
	var on []*watched
	for _, m := range ch.managers {
		if ch.rig.index(m.Node()) == k {
			drain(m.ready)
			on = append(on, m)
		}
	}
	began := time.Now()
	if err := ch.rig.down(kind, k); err != nil {
		return fmt.Errorf("%v node %d: %w", kind, k, err)
	}
	slowest, err := ch.awaitRehome(kind, k, on, began)
	if uerr := ch.rig.up(kind, k); uerr != nil {
		return errors.Join(err, fmt.Errorf("node %d back after %v: %w", k, kind, uerr))
	}
	ch.faults = append(ch.faults, nodeFault{kind: kind, node: k, moved: len(on), slowest: slowest,
		downtime: time.Since(began)})
	return err
}

// awaitRehome waits for each manager that was on node k to serve again on
// another node, and checks that each did within rehomeBound of began.
func (ch *clusterChaos) awaitRehome(kind faultKind, k int, on []*watched, began time.Time) (time.Duration, error) {
	bound := rehomeBound(kind, soakHeartbeat)
	var slowest time.Duration
	for i, m := range on {
		select {
		case at := <-m.ready:
			took := at.Sub(began)
			slowest = max(slowest, took)
			ch.rehomes[kind] = append(ch.rehomes[kind], took)
			if took > bound {
				return slowest, fmt.Errorf("%v node %d: manager %s re-homed after %v, bound %v", kind, k, m.serial, took, bound)
			}
			if now := ch.rig.index(m.Node()); now == k {
				return slowest, fmt.Errorf("%v node %d: manager %s serving on the lost node", kind, k, m.serial)
			}
		case <-time.After(30 * time.Second):
			return slowest, fmt.Errorf("%v node %d: manager %d of %d not serving 30 s later", kind, k, i+1, len(on))
		}
	}
	return slowest, nil
}

// check fails the test unless every planned fault was injected, moved at
// least one manager, and went by the bounds.
func (ch *clusterChaos) check(t *testing.T, size clusterSoakSize) {
	t.Helper()
	if err := errors.Join(ch.errs...); err != nil {
		t.Fatal(err)
	}
	if len(ch.faults) != 3*size.rounds {
		t.Fatalf("%d faults, planned %d", len(ch.faults), 3*size.rounds)
	}
	for _, f := range ch.faults {
		if f.moved == 0 {
			t.Fatalf("%v node %d: no manager was on it", f.kind, f.node)
		}
	}
}

// report logs each fault and the re-home times by kind (p50, max).
func (ch *clusterChaos) report(t *testing.T) {
	for i, f := range ch.faults {
		t.Logf("fault %d: %v node %d: %d managers re-homed, the last after %v; node back after %v",
			i+1, f.kind, f.node, f.moved, f.slowest.Round(time.Millisecond), f.downtime.Round(time.Millisecond))
	}
	for _, kind := range []faultKind{nodeStop, nodeKill, nodePause} {
		d := slices.Sorted(slices.Values(ch.rehomes[kind]))
		if len(d) == 0 {
			continue
		}
		t.Logf("re-home after a %v: %d managers, p50 %v, max %v (bound %v)", kind, len(d),
			d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond), rehomeBound(kind, soakHeartbeat))
	}
}
