// Package testbroker starts a private RabbitMQ node for a test: its own node
// name, ports, Erlang cookie and data folder under a temporary directory, so
// a test may restart it, close its connections, add users and restrict their
// permissions without disturbing the shared broker on AMQP_URL.
//
// It runs the rabbitmq-server of Debian's package (the one .ci/run
// installs). A node takes a few seconds to boot, so a package starts one
// lazily and shares it between the tests that need it (see Shared).
package testbroker

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Bin is where Debian's rabbitmq-server package keeps the real scripts (the
// ones in /usr/sbin switch to the rabbitmq user, which cannot write our
// temporary directory).
var Bin = "/usr/lib/rabbitmq/bin"

// StartTimeout bounds a node's boot; StopTimeout its shutdown.
const (
	StartTimeout = 90 * time.Second
	StopTimeout  = 30 * time.Second
)

// Options shape a node.
type Options struct {
	// TLS, when set, adds an amqps listener with these files.
	TLS *TLSFiles
	// Plugins to enable, e.g. "rabbitmq_auth_mechanism_ssl".
	Plugins []string
	// Config lines appended to rabbitmq.conf.
	Config []string
}

// TLSFiles are PEM files for the node's TLS listener. The listener asks for
// a client certificate and refuses a connection without one.
type TLSFiles struct {
	CA, Cert, Key string
}

// Node is a running private RabbitMQ node.
type Node struct {
	Name    string // Erlang node name, e.g. jigt-123-1@localhost
	Dir     string
	Port    int // AMQP
	TLSPort int // amqps, 0 without Options.TLS
	dist    int
	opts    Options
	cookie  string // the Erlang cookie; a cluster's nodes share one

	mu     sync.Mutex
	cmd    *exec.Cmd  // nil while stopped
	exited chan error // cmd.Wait's result, from the one goroutine that waits
}

var seq atomic.Int64

// Start boots a node and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts Options) *Node {
	t.Helper()
	n, err := New(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("testbroker: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("testbroker: %v", err)
		}
	})
	return n
}

// New boots a node in dir. The caller must Close it.
func New(dir string, opts Options) (*Node, error) {
	cookie, err := newCookie()
	if err != nil {
		return nil, err
	}
	n, err := prepare(dir, opts, cookie)
	if err != nil {
		return nil, err
	}
	if err := n.boot(); err != nil {
		return nil, err
	}
	return n, nil
}

// newCookie is a random Erlang cookie.
func newCookie() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(b)), nil
}

// prepare names a node, picks its ports and writes its files in dir,
// without booting it.
func prepare(dir string, opts Options, cookie string) (*Node, error) {
	if _, err := os.Stat(filepath.Join(Bin, "rabbitmq-server")); err != nil {
		return nil, fmt.Errorf("rabbitmq-server not installed (apt-get install rabbitmq-server): %w", err)
	}
	n := &Node{
		Name:   fmt.Sprintf("jigt-%d-%d@localhost", os.Getpid(), seq.Add(1)),
		Dir:    dir,
		opts:   opts,
		cookie: cookie,
	}
	var err error
	if n.Port, err = freePort(); err != nil {
		return nil, err
	}
	if n.dist, err = freePort(); err != nil {
		return nil, err
	}
	if opts.TLS != nil {
		if n.TLSPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := n.writeFiles(); err != nil {
		return nil, err
	}
	return n, nil
}

// URL is the node's AMQP URL for user and password.
func (n *Node) URL(user, pass string) string {
	return fmt.Sprintf("amqp://%s:%s@127.0.0.1:%d/", user, pass, n.Port)
}

// GuestURL is the URL of the node's default guest/guest administrator.
func (n *Node) GuestURL() string { return n.URL("guest", "guest") }

// Addr is the AMQP listener's host:port.
func (n *Node) Addr() string { return fmt.Sprintf("127.0.0.1:%d", n.Port) }

// TLSAddr is the amqps listener's host:port.
func (n *Node) TLSAddr() string { return fmt.Sprintf("127.0.0.1:%d", n.TLSPort) }

func (n *Node) writeFiles() error {
	cookiePath := filepath.Join(n.Dir, ".erlang.cookie")
	if err := os.WriteFile(cookiePath, []byte(n.cookie), 0o400); err != nil {
		return err
	}
	conf := []string{
		fmt.Sprintf("listeners.tcp.1 = 127.0.0.1:%d", n.Port),
		"log.console = false",
		"log.file.level = warning",
	}
	if f := n.opts.TLS; f != nil {
		conf = append(conf,
			fmt.Sprintf("listeners.ssl.1 = 127.0.0.1:%d", n.TLSPort),
			"ssl_options.cacertfile = "+f.CA,
			"ssl_options.certfile = "+f.Cert,
			"ssl_options.keyfile = "+f.Key,
			"ssl_options.verify = verify_peer",
			"ssl_options.fail_if_no_peer_cert = true",
		)
	}
	conf = append(conf, n.opts.Config...)
	if err := os.WriteFile(filepath.Join(n.Dir, "rabbitmq.conf"), []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	plugins := "[" + strings.Join(n.opts.Plugins, ",") + "].\n"
	return os.WriteFile(filepath.Join(n.Dir, "enabled_plugins"), []byte(plugins), 0o644)
}

// env is the whole environment of the node and of rabbitmqctl: nothing of
// the shared broker's (its rabbitmq-env.conf names the node rabbit@localhost).
func (n *Node) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + n.Dir,
		"LANG=C.UTF-8",
		"RABBITMQ_NODENAME=" + n.Name,
		fmt.Sprintf("RABBITMQ_NODE_PORT=%d", n.Port),
		fmt.Sprintf("RABBITMQ_DIST_PORT=%d", n.dist),
		"RABBITMQ_CONF_ENV_FILE=/dev/null",
		"RABBITMQ_CONFIG_FILE=" + filepath.Join(n.Dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + filepath.Join(n.Dir, "enabled_plugins"),
		"RABBITMQ_MNESIA_BASE=" + filepath.Join(n.Dir, "mnesia"),
		"RABBITMQ_LOG_BASE=" + filepath.Join(n.Dir, "log"),
		"RABBITMQ_PID_FILE=" + filepath.Join(n.Dir, "pid"),
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"ERL_FLAGS=-kernel inet_dist_use_interface {127,0,0,1}",
		// Run erl in the foreground with exec, so that our child is the VM.
		"RUNNING_UNDER_SYSTEMD=true",
	}
}

// boot starts the VM and waits until the guest user can open a connection.
func (n *Node) boot() error {
	out, err := os.OpenFile(filepath.Join(n.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(filepath.Join(Bin, "rabbitmq-server"))
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = n.Dir, n.env(), out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start rabbitmq-server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := n.awaitReady(exited); err != nil {
		n.kill(cmd, exited)
		return fmt.Errorf("node %s: %w (log: %s)", n.Name, err, n.tail())
	}
	n.mu.Lock()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()
	return nil
}

func (n *Node) awaitReady(exited <-chan error) error {
	deadline := time.Now().Add(StartTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("rabbitmq-server exited during boot: %v", err)
		case <-time.After(150 * time.Millisecond):
		}
		c, err := amqp.DialConfig(n.GuestURL(), amqp.Config{
			Dial: amqp.DefaultDial(2 * time.Second),
		})
		if err == nil {
			return c.Close()
		}
		last = err
	}
	return fmt.Errorf("not ready within %v: %v", StartTimeout, last)
}

func (n *Node) tail() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "server.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// Stop shuts the VM down (SIGTERM, SIGKILL after StopTimeout) and waits for
// it. The data folder stays, so Start brings the same node back with its
// users and permissions.
func (n *Node) Stop() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.cmd, n.exited = nil, nil
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	return n.kill(cmd, exited)
}

func (n *Node) kill(cmd *exec.Cmd, exited <-chan error) error {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(StopTimeout):
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-exited:
		return fmt.Errorf("node %s needed SIGKILL", n.Name)
	case <-time.After(StopTimeout):
		return fmt.Errorf("node %s did not exit after SIGKILL", n.Name)
	}
}

// Start boots a stopped node again on the same ports and data.
func (n *Node) Start() error {
	n.mu.Lock()
	running := n.cmd != nil
	n.mu.Unlock()
	if running {
		return errors.New("testbroker: node already running")
	}
	return n.boot()
}

// Close stops the node for good. Idempotent.
func (n *Node) Close() error { return n.Stop() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Lazy is a node that a test package shares: booted by the first test that
// asks for it, stopped by the package's TestMain after m.Run (Close).
//
//	var private = &testbroker.Lazy{}
//	func TestMain(m *testing.M) { code := m.Run(); private.Close(); os.Exit(code) }
//	func TestX(t *testing.T) { n := private.Get(t) ... }
//
// Tests that restart the shared node or close its connections must put it
// back as they found it (running) before they return.
type Lazy struct {
	Options Options

	mu   sync.Mutex
	node *Node
	dir  string
	err  error
}

// Get returns the shared node, booting it on first use. A boot that failed
// fails every test that asks, with the same error.
func (l *Lazy) Get(t testing.TB) *Node {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.node == nil && l.err == nil {
		l.dir, l.err = os.MkdirTemp("", "jigmq-broker-")
		if l.err == nil {
			l.node, l.err = New(l.dir, l.Options)
		}
	}
	if l.err != nil {
		t.Fatalf("testbroker: %v", l.err)
	}
	return l.node
}

// Close stops the shared node, if it was booted, and removes its folder.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.node != nil {
		err = l.node.Close()
	}
	if l.dir != "" {
		err = errors.Join(err, os.RemoveAll(l.dir))
	}
	l.node, l.dir = nil, ""
	return err
}

// Main is a package's TestMain with shared nodes: it ends at once, with
// one message, when nothing answers on AMQP_URL (testutil.RequireBroker);
// else it runs the tests, then closes nodes (Lazy ones, or anything else
// that stops a node), and exits non-zero if a test failed or a node did not
// stop.
func Main(m *testing.M, nodes ...io.Closer) {
	testutil.RequireBroker()
	code := m.Run()
	for _, n := range nodes {
		if err := n.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "private broker:", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}
