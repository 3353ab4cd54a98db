package testbroker

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CtlTimeout bounds one rabbitmqctl run (each starts an Erlang VM: ~0.5 s).
const CtlTimeout = 60 * time.Second

// CtlCommand is the rabbitmqctl command line for this node, for scripts
// that take one (deploy/rabbitmq's RABBITMQCTL), and the environment to run
// it in.
func (n *Node) CtlCommand() (cmd string, env []string) {
	return filepath.Join(Bin, "rabbitmqctl") + " -n " + n.Name, n.env()
}

// Ctl runs rabbitmqctl against the node with stdin and returns its stdout.
func (n *Node) Ctl(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CtlTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(Bin, "rabbitmqctl"), append([]string{"-n", n.Name, "-q"}, args...)...)
	cmd.Env, cmd.Dir = n.env(), n.Dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("rabbitmqctl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// MustCtl is Ctl that fails the test on error.
func (n *Node) MustCtl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := n.Ctl("", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// AddUser creates user with password and no tags. A user an earlier run
// of the test left on the node (go test -count=N keeps a package's private
// node) gets password instead, so that a test can run again.
func (n *Node) AddUser(t testing.TB, user, pass string) {
	t.Helper()
	_, err := n.Ctl(pass+"\n", "add_user", user)
	if err != nil && strings.Contains(err.Error(), "already exists") {
		_, err = n.Ctl(pass+"\n", "change_password", user)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// Grant sets user's permissions on vhost "/" (regexes for configure, write,
// read) and, when topicWrite or topicRead is not empty, its topic
// permissions on amq.topic.
func (n *Node) Grant(t testing.TB, user, conf, write, read, topicWrite, topicRead string) {
	t.Helper()
	if topicWrite != "" || topicRead != "" {
		n.MustCtl(t, "set_topic_permissions", user, "amq.topic", topicWrite, topicRead)
	}
	n.MustCtl(t, "set_permissions", user, conf, write, read)
}

// Conn is a client connection as rabbitmqctl lists it.
type Conn struct {
	Pid, User, Name string
}

// Connections lists the node's client connections.
func (n *Node) Connections() ([]Conn, error) {
	out, err := n.Ctl("", "list_connections", "--no-table-headers", "pid", "user", "client_properties")
	if err != nil {
		return nil, err
	}
	var conns []Conn
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 2 {
			continue
		}
		c := Conn{Pid: f[0], User: f[1]}
		if len(f) == 3 {
			c.Name = connectionName(f[2])
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// connectionName digs the connection_name client property out of
// rabbitmqctl's Erlang-term rendering of client_properties.
func connectionName(props string) string {
	const key = `{"connection_name","`
	i := strings.Index(props, key)
	if i < 0 {
		return ""
	}
	rest := props[i+len(key):]
	if j := strings.IndexByte(rest, '"'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// CloseConnection forces one connection closed, as an operator would with
// rabbitmqctl close_connection.
func (n *Node) CloseConnection(pid, reason string) error {
	_, err := n.Ctl("", "close_connection", pid, reason)
	return err
}
