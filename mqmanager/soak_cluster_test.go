package mqmanager

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// clusterSoakSize is a cluster soak's load and its rounds of faults: in
// each round one node is stopped, one killed and one paused, each brought
// back before the next.
type clusterSoakSize struct {
	managers, clients, requests, rounds int
	limit                               time.Duration // the whole run's deadline
}

func clusterSoakConfig() clusterSoakSize {
	if os.Getenv("JIGMQ_SOAK") == "full" {
		return clusterSoakSize{managers: 6, clients: 18, requests: 12000, rounds: 3, limit: 10 * time.Minute}
	}
	return clusterSoakSize{managers: 3, clients: 9, requests: 2000, rounds: 1, limit: 3 * time.Minute}
}

// soakHeartbeat is the heartbeat of the soaks' managers and clients.
const soakHeartbeat = 2 * time.Second

// TestClusterSoak is TestSoak on the three-node cluster: fixture managers
// on jig/sim boards, each with every node in its list (each starts on a
// random one), and clients spread over the nodes in every reply mode, under
// load, while one node at a time, the one with the most managers, is
// stopped, killed or paused and brought back, for several rounds. The
// ledger's checks are TestSoak's; every manager on the lost node must serve
// again, on another node, within rehomeBound of the fault. JIGMQ_SOAK=full
// runs the full size.
func TestClusterSoak(t *testing.T) {
	size := clusterSoakConfig()
	cluster.Get(t) // booted before the baseline: each node keeps a goroutine
	base := runtime.NumGoroutine()
	r := newClusterRig(t)
	defer r.restore(t)
	fixtures := startFixtures(t, size.managers)
	managers := make([]*watched, len(fixtures))
	for i, fx := range fixtures {
		managers[i] = serveFixture(t, r.urls, i, fx)
	}
	clients := spreadClients(t, r, size.clients)
	t.Logf("managers on nodes %v, clients on nodes %v", r.placement(managers), r.clientPlacement(clients))
	ctx, cancel := context.WithTimeout(context.Background(), size.limit)
	defer cancel()
	var l ledger
	run, lateBefore := uniqueSerial(t), soakLate.Load()
	ch := newClusterChaos(r, managers, &l.done)
	chaosDone := make(chan struct{})
	go func() { defer close(chaosDone); ch.run(ctx, size) }()
	runClients(ctx, clients, int64(size.requests), fixtures, run, &l, ch.gate)
	<-chaosDone
	t.Logf("%v", &l)
	ch.report(t)
	ch.check(t, size)
	l.check(t, size.requests)
	checkExecutions(t, run, soakLate.Load()-lateBefore)
	for _, m := range managers {
		m.stop(t)
	}
	closeFixtures(t, fixtures, l.ok.Load())
	for _, p := range r.proxies {
		p.Close()
	}
	waitGoroutines(t, base)
}

// spreadClients dials n clients so that every pair of first node and reply
// mode has its share: client i starts on node (i + i/3) mod 3 in mode i mod 3.
func spreadClients(t *testing.T, r *clusterRig, n int) []*Client {
	clients := make([]*Client, n)
	for i := range clients {
		node := (i + i/len(allModes)) % len(r.urls)
		clients[i] = clusterClient(t, r.from(node), allModes[i%len(allModes)], fmt.Sprintf("csoak-cli-%d", i), soakHeartbeat)
	}
	return clients
}

// placement is the node of each manager.
func (r *clusterRig) placement(managers []*watched) []int {
	out := make([]int, len(managers))
	for i, m := range managers {
		out[i] = r.index(m.Node())
	}
	return out
}

func (r *clusterRig) clientPlacement(clients []*Client) []int {
	out := make([]int, len(clients))
	for i, c := range clients {
		out[i] = r.index(c.Node())
	}
	return out
}
