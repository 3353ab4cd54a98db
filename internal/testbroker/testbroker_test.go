package testbroker

import (
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// TestNodeLifecycle: a private node boots, lists and closes a named
// connection, keeps its users across a restart, and stops.
func TestNodeLifecycle(t *testing.T) {
	n := Start(t, Options{})
	n.AddUser(t, "alice", "s3cret")
	n.Grant(t, "alice", ".*", ".*", ".*", "", "")

	cfg := amqp.Config{Properties: amqp.NewConnectionProperties()}
	cfg.Properties.SetClientConnectionName("lifecycle-test")
	c, err := amqp.DialConfig(n.URL("alice", "s3cret"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed := c.NotifyClose(make(chan *amqp.Error, 1))
	conns, err := n.Connections()
	if err != nil {
		t.Fatal(err)
	}
	var pid string
	for _, cn := range conns {
		if cn.Name == "lifecycle-test" && cn.User == "alice" {
			pid = cn.Pid
		}
	}
	if pid == "" {
		t.Fatalf("connection not listed: %+v", conns)
	}
	if err := n.CloseConnection(pid, "test"); err != nil {
		t.Fatal(err)
	}
	if e := <-closed; e == nil || !strings.Contains(e.Reason, "test") {
		t.Fatalf("close reason = %v, want the operator's", e)
	}

	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := amqp.Dial(n.URL("alice", "s3cret")); err == nil {
		t.Fatal("dial succeeded with the node stopped")
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	c, err = amqp.Dial(n.URL("alice", "s3cret"))
	if err != nil {
		t.Fatalf("alice after restart: %v", err)
	}
	c.Close()
}

// TestClusterLifecycle: three nodes form one cluster; a node killed leaves
// the others running and seeing it gone, and comes back as a member.
func TestClusterLifecycle(t *testing.T) {
	start := time.Now()
	c, err := NewCluster(t.TempDir(), 3, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Logf("cluster booted in %v", time.Since(start))
	wantRunning(t, c.Nodes[0], 3)
	start = time.Now()
	if err := c.Nodes[1].Kill(); err != nil {
		t.Fatal(err)
	}
	wantRunning(t, c.Nodes[0], 2)
	if err := c.Nodes[1].Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("node killed and back in %v", time.Since(start))
	wantRunning(t, c.Nodes[2], 3)
}

func wantRunning(t *testing.T, n *Node, want int) {
	t.Helper()
	got, err := n.RunningNodes()
	if err != nil || len(got) != want {
		t.Fatalf("running nodes %v, %v; want %d", got, err, want)
	}
}
