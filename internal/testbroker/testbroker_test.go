package testbroker

import (
	"strings"
	"testing"

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
