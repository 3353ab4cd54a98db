package mqmanager

import (
	"slices"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testbroker"
	"github.com/jigmq/jigmq/internal/testutil"
)

// cluster is the package's private three-node RabbitMQ cluster, booted by
// the first cluster test and shared by them all; each leaves every node
// running. TestMain (main_test.go) stops it.
var cluster = &testbroker.LazyCluster{Size: 3}

// clusterRig is the cluster seen through one proxy per node, so that a test
// can pause a node's client traffic as well as stop, kill and restart the
// node. Its URLs are the proxies'; a node's Node (host:port) is its proxy's.
type clusterRig struct {
	nodes   []*testbroker.Node
	proxies []*testutil.Proxy
	urls    []string
}

// newClusterRig gets the shared cluster and puts a proxy in front of each
// node, for the rest of the test.
func newClusterRig(t *testing.T) *clusterRig {
	t.Helper()
	c := cluster.Get(t)
	r := &clusterRig{nodes: c.Nodes}
	for _, n := range c.Nodes {
		p, u := testutil.NewProxy(t, n.GuestURL())
		r.proxies, r.urls = append(r.proxies, p), append(r.urls, u)
	}
	return r
}

// from is the rig's URLs starting with node k's: a client given them
// connects to node k first.
func (r *clusterRig) from(k int) []string {
	return append(slices.Clone(r.urls[k:]), r.urls[:k]...)
}

// index is the number of the node whose host:port (NodeOf) is node; -1 for
// none ("" is a client or server between links).
func (r *clusterRig) index(node string) int {
	for i, u := range r.urls {
		if NodeOf(u) == node {
			return i
		}
	}
	return -1
}

// faultKind is what happens to a node.
type faultKind int

const (
	nodeStop  faultKind = iota // rabbitmqctl-like clean shutdown (SIGTERM), then start
	nodeKill                   // SIGKILL: a crash, no shutdown, then start
	nodePause                  // its proxy freezes every link (nothing read), then thaws
)

func (k faultKind) String() string { return [...]string{"stop", "kill", "pause"}[k] }

// down takes node k down in the way kind says.
func (r *clusterRig) down(kind faultKind, k int) error {
	switch kind {
	case nodeStop:
		return r.nodes[k].Stop()
	case nodeKill:
		return r.nodes[k].Kill()
	default:
		r.proxies[k].Freeze()
		return nil
	}
}

// up brings node k back from down.
func (r *clusterRig) up(kind faultKind, k int) error {
	if kind == nodePause {
		r.proxies[k].Thaw()
		return nil
	}
	return r.nodes[k].Start()
}

// restore brings back, at the end of a test, any node it left down, so the
// next test finds the cluster whole.
func (r *clusterRig) restore(t *testing.T) {
	for k, n := range r.nodes {
		r.proxies[k].Thaw()
		if !n.Running() {
			if err := n.Start(); err != nil {
				t.Errorf("cluster node %d: %v", k, err)
			}
		}
	}
}

// rehomeBound is the bound on a manager serving again after its node is
// lost, from the moment the fault began: for a stopped or killed node, its
// backoff cap plus backBound's 2 s for connecting and declaring, plus 1 s
// for the node's own shutdown to close its links and its peers to drop its
// queues. A paused node's links are dead but not closed: the manager
// notices within 1.5 heartbeats plus the one-second close, and its queue,
// held by the frozen link, is freed when the broker has missed two of its
// heartbeats (2 to 3 heartbeats after the pause), meanwhile the manager
// retries on the node that said the queue is held: 3 heartbeats, plus the
// same cap and 2 s.
func rehomeBound(kind faultKind, hb time.Duration) time.Duration {
	if kind == nodePause {
		return 3*hb + backBound
	}
	return backBound + time.Second
}

// clusterClient dials a client over urls (the first is its first node),
// named name, with heartbeat hb; it is closed at the end of the test.
func clusterClient(t *testing.T, urls []string, mode ReplyMode, name string, hb time.Duration) *Client {
	t.Helper()
	c, err := Dial(ctxTimeout(t, 10*time.Second), ClientConfig{
		Broker: Broker{URLs: urls, Name: name, Heartbeat: hb}, ReplyMode: mode, AppID: "mqmanager-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantOn fails the test unless what is on node k (Node of a client or
// server).
func (r *clusterRig) wantOn(t *testing.T, what, node string, k int) {
	t.Helper()
	if got := r.index(node); got != k {
		t.Fatalf("%s on node %d (%q), want node %d", what, got, node, k)
	}
}

// wantRunning fails the test unless node k sees want running members of
// the cluster (a lost node's peers see it gone; a restarted one is back in).
func (r *clusterRig) wantRunning(t *testing.T, k, want int) {
	t.Helper()
	got, err := r.nodes[k].RunningNodes()
	if err != nil || len(got) != want {
		t.Fatalf("node %d sees running nodes %v, %v; want %d", k, got, err, want)
	}
}
