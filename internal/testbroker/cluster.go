package testbroker

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Cluster is a private RabbitMQ cluster: nodes on loopback, each with its
// own node name, AMQP and distribution ports and data folder, sharing one
// Erlang cookie. The nodes find each other through the machine's epmd, as
// every node here does (each registers its own name; nothing of the shared
// broker's is touched), and talk over their fixed distribution ports.
type Cluster struct {
	Nodes []*Node
}

// NewCluster boots size nodes in dir, in parallel, and joins every node to
// the first (stop_app, join_cluster, start_app), one at a time. The caller
// must Close it.
func NewCluster(dir string, size int, opts Options) (*Cluster, error) {
	cookie, err := newCookie()
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	for i := range size {
		d := filepath.Join(dir, fmt.Sprintf("node%d", i+1))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
		n, err := prepare(d, opts, cookie)
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, n)
	}
	if err := c.each(func(n *Node) error { return n.boot() }); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	for _, n := range c.Nodes[1:] {
		if err := n.join(c.Nodes[0]); err != nil {
			return nil, errors.Join(err, c.Close())
		}
	}
	return c, nil
}

// each runs f on every node at once and waits for all of them.
func (c *Cluster) each(f func(*Node) error) error {
	errs := make([]error, len(c.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(n)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// join makes n a member of seed's cluster, as an operator does.
func (n *Node) join(seed *Node) error {
	for _, args := range [][]string{{"stop_app"}, {"join_cluster", seed.Name}, {"start_app"}} {
		if _, err := n.Ctl("", args...); err != nil {
			return fmt.Errorf("node %s joining %s: %w", n.Name, seed.Name, err)
		}
	}
	return nil
}

// RunningNodes lists the cluster's running members as n sees them.
func (n *Node) RunningNodes() ([]string, error) {
	out, err := n.Ctl("", "cluster_status", "--formatter", "json")
	if err != nil {
		return nil, err
	}
	var st struct {
		Running []string `json:"running_nodes"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("cluster_status: %w: %q", err, out)
	}
	return st.Running, nil
}

// Close stops every node, at once. Idempotent.
func (c *Cluster) Close() error {
	return c.each(func(n *Node) error { return n.Stop() })
}

// LazyCluster is a cluster that a test package shares, as Lazy is a node:
// booted by the first test that asks for it, stopped by the package's
// TestMain (Main). Tests that stop, kill or pause a node must bring it back
// before they return.
type LazyCluster struct {
	Size    int // nodes; default 3
	Options Options

	mu      sync.Mutex
	cluster *Cluster
	dir     string
	err     error
}

// Get returns the shared cluster, booting it on first use. A boot that
// failed fails every test that asks, with the same error.
func (l *LazyCluster) Get(t testing.TB) *Cluster {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cluster == nil && l.err == nil {
		l.dir, l.err = os.MkdirTemp("", "jigmq-cluster-")
		if l.err == nil {
			l.cluster, l.err = NewCluster(l.dir, cmp.Or(l.Size, 3), l.Options)
		}
	}
	if l.err != nil {
		t.Fatalf("testbroker: cluster: %v", l.err)
	}
	return l.cluster
}

// Close stops the shared cluster, if it was booted, and removes its folder.
func (l *LazyCluster) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.cluster != nil {
		err = l.cluster.Close()
	}
	if l.dir != "" {
		err = errors.Join(err, os.RemoveAll(l.dir))
	}
	l.cluster, l.dir = nil, ""
	return err
}
