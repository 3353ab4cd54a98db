package mqmanager

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// TestClusterClientNodeKilled: clients in each reply mode are connected to
// a node that is killed mid-request. Their reply paths (a per-request
// queue, a shared queue, direct reply-to) lived on that node and went with
// it: the requests pending there end as broker unreachable at once, not at
// their deadlines, and each client's next request goes through another
// node and is answered.
func TestClusterClientNodeKilled(t *testing.T) {
	r := newClusterRig(t)
	defer r.restore(t)
	srv := serveOn(t, Broker{URLs: r.urls[1:]}, nil) // never on node 0
	clients := make([]*Client, len(allModes))
	for i, mode := range allModes {
		clients[i] = clusterClient(t, r.from(0), mode, "cluster-cli-"+mode.String(), 0)
		r.wantOn(t, "client "+mode.String(), clients[i].Node(), 0)
	}
	const k = 2
	results := make([]<-chan error, len(clients))
	for i, c := range clients {
		results[i] = pending(t, c, srv.serial, k)
	}
	testutil.WaitFor(t, "requests in flight", 10*time.Second,
		func() bool { return srv.Stats().InFlight == int64(k*len(clients)) })
	if err := r.nodes[0].Kill(); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		what := allModes[i].String() + " client"
		wantUnreachable(t, what, results[i], k, 5*time.Second)
		wantAnswered(t, what+" after the kill", c, srv.serial)
		r.wantOn(t, what+" after the kill", c.Node(), 1)
	}
}

// TestClusterManagerNodeLost: the node of two managers is killed (its peers
// see it gone, and back in the cluster once restarted). One
// (roaming) has every node in its list: its requests in flight on the lost
// node end as timeouts (they were routed, and went with it), it re-homes on
// another node within the bound, and is answered there. The other (pinned)
// has only the lost node: its exclusive queue went with the node, so its
// requests are unroutable and fail fast as no fixture, until the node is
// back and it serves there again.
func TestClusterManagerNodeLost(t *testing.T) {
	r := newClusterRig(t)
	defer r.restore(t)
	roaming := serveOn(t, Broker{URLs: r.urls}, nil)
	k := r.index(roaming.Node())
	pinned := serveOn(t, Broker{URLs: []string{r.urls[k]}}, nil)
	c := clusterClient(t, r.from((k+1)%3), ReplyShared, "cluster-cli-mgrlost", 0)
	inflight := pendingFor(t, c, roaming.serial, 2, 3*time.Second)
	testutil.WaitFor(t, "requests in flight", 10*time.Second, func() bool { return roaming.Stats().InFlight == 2 })
	lost := time.Now()
	if err := r.nodes[k].Kill(); err != nil {
		t.Fatal(err)
	}
	r.wantRunning(t, (k+1)%3, 2)
	at := awaitEvent(t, roaming.ready, 30*time.Second, "roaming manager re-homed")
	checkRehome(t, "roaming manager", nodeKill, lost, at)
	if got := r.index(roaming.Node()); got == k || got < 0 {
		t.Fatalf("roaming manager re-homed on node %d (%q), lost node %d", got, roaming.Node(), k)
	}
	wantAnsweredSoon(t, "roaming manager re-homed", c, roaming.serial, DefaultHeartbeat+backBound)
	wantOutcomes(t, "in flight on the lost node", inflight, 2, 5*time.Second, ErrTimeout)
	wantNoFixture(t, c, pinned.serial)
	if err := r.nodes[k].Start(); err != nil {
		t.Fatal(err)
	}
	checkBack(t, "pinned manager", time.Now(), awaitEvent(t, pinned.ready, 30*time.Second, "pinned manager back"))
	r.wantRunning(t, (k+2)%3, 3)
	wantAnswered(t, "pinned manager back", c, pinned.serial)
}

// checkRehome fails the test if a manager served again later than
// rehomeBound after its node's loss began.
func checkRehome(t *testing.T, what string, kind faultKind, lost, ready time.Time) {
	t.Helper()
	took, bound := ready.Sub(lost), rehomeBound(kind, DefaultHeartbeat)
	if took > bound {
		t.Fatalf("%s: re-homed %v after its node's %v, bound %v", what, took, kind, bound)
	}
	t.Logf("%s: re-homed %v after its node's %v (bound %v)", what, took.Round(time.Millisecond), kind, bound)
}

// wantOutcomes checks that k requests end, within d, each in want.
func wantOutcomes(t *testing.T, what string, res <-chan error, k int, d time.Duration, want error) {
	t.Helper()
	limit := time.After(d)
	for i := 0; i < k; i++ {
		select {
		case err := <-res:
			if !errors.Is(err, want) {
				t.Fatalf("%s: want %v, got %v", what, want, err)
			}
		case <-limit:
			t.Fatalf("%s: %d of %d requests still waiting after %v", what, k-i, k, d)
		}
	}
}

// wantAnsweredSoon is wantAnswered for a manager that has just re-homed:
// RabbitMQ's clean-up of the lost node may still take its new queue's
// record (see server_probe.go), and requests then fail as no fixture until
// the manager's probe finds out and it declares the queue again, within d.
// Any other outcome fails the test.
func wantAnsweredSoon(t *testing.T, what string, c *Client, serial string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for misses := 0; ; misses++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Request(ctx, serial, "Echo", echoArgs{Text: what})
		cancel()
		switch {
		case err == nil:
			if misses > 0 {
				t.Logf("%s: answered after %d no-fixture replies", what, misses)
			}
			return
		case !errors.Is(err, ErrNoFixture):
			t.Fatalf("%s: %v", what, err)
		case time.Now().After(deadline):
			t.Fatalf("%s: still no fixture after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond) // a retry's pace, not a wait for an event
	}
}

// wantNoFixture asks serial, whose manager's node is gone, until the
// request fails fast as no fixture: before the cluster has dropped the
// lost node's queues a request may still be routed to it and time out,
// but nothing else may happen.
func wantNoFixture(t *testing.T, c *Client, serial string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.Request(ctx, serial, "Echo", nil)
		cancel()
		switch {
		case errors.Is(err, ErrNoFixture):
			return
		case !errors.Is(err, ErrTimeout):
			t.Fatalf("manager's node lost: want no fixture or timeout, got %v", err)
		}
	}
	t.Fatalf("no fixture %s: not within 15 s", serial)
}
