package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/mqmanager"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The bound a manager stays within under a flood of oversized bodies, as
// docs/protocol.md and deploy/README.md state it: its resident memory
// before, plus (prefetch + 1) bodies of the largest size the broker admits,
// plus slack for the garbage collector; and after the flood, back within
// afterSlack of where it started.
const (
	floodBodies = 40
	floodSize   = 10 << 20
	floodSlack  = 40 << 20
	afterSlack  = 20 << 20
)

// TestOversizedFloodBounded: 40 request bodies of 10 MB, each refused as
// too_large, against jig-manager run as a process with the unit's
// GOMEMLIMIT: its peak resident memory (VmHWM) stays within the bound, its
// memory comes back once the flood stops, and it goes on serving.
//
// A Ping follows the flood at once, as the floor's requests would: until
// its channel's next delivery amqp091-go keeps the buffer it read the last
// body into (10 MB, grown to up to 12.5), so without one the memory after
// is that much higher (24-27 MiB against 13-16 with it). The bound after
// holds either way, should the Ping come after the release.
func TestOversizedFloodBounded(t *testing.T) {
	m := startProcess(t)
	c := dialTest(t)
	before := procStatus(t, m.pid, "VmRSS")
	flood(t, m.serial, floodBodies, floodSize)
	peak := procStatus(t, m.pid, "VmHWM")
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), m.serial, "Ping", nil); err != nil {
		t.Fatalf("ping after the flood: %v", err)
	}
	m.waitLog(t, "memory is returned to the OS")
	after := procStatus(t, m.pid, "VmRSS")
	t.Logf("RSS before %d MiB, peak %d MiB, after %d MiB", before>>20, peak>>20, after>>20)
	if bound := before + (mqmanager.DefaultPrefetch+1)*floodSize + floodSlack; peak > bound {
		t.Errorf("peak RSS %d MiB over the bound %d MiB", peak>>20, bound>>20)
	}
	if after > before+afterSlack {
		t.Errorf("RSS after the flood %d MiB, want at most %d MiB", after>>20, (before+afterSlack)>>20)
	}
	if _, err := c.Request(ctxTimeout(t, 5*time.Second), m.serial, "JigStatus", nil); err != nil {
		t.Fatalf("status after the flood: %v", err)
	}
}

type process struct {
	serial string
	pid    int
	logs   chan string
}

// startProcess builds jig-manager, runs it for a fresh serial on a jigsim
// board with the unit's GOMEMLIMIT, and waits until it serves.
func startProcess(t *testing.T) *process {
	dir := t.TempDir()
	bin := filepath.Join(dir, "jig-manager")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	m := &process{serial: "MEM-" + uuid.NewString()[:12], logs: make(chan string, 256)}
	link := filepath.Join(dir, "tty")
	board, err := sim.Start(link, sim.Config{Identity: "SIM," + m.serial}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	cmd := exec.Command(bin, "--serial", m.serial, "--port", link, "--url", testutil.AMQPURL(mqmanager.DefaultURL))
	cmd.Env = append(os.Environ(), "GOMEMLIMIT="+unitMemLimit(t))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.pid = cmd.Process.Pid
	scanned := m.follow(stderr)
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		<-scanned
		if err := cmd.Wait(); err != nil {
			t.Errorf("jig-manager: %v", err)
		}
	})
	m.waitLog(t, "msg=serving")
	return m
}

// follow passes the log lines to m.logs until r ends, then closes the
// channel it returns.
func (m *process) follow(r io.Reader) <-chan struct{} {
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		for sc := bufio.NewScanner(r); sc.Scan(); {
			select {
			case m.logs <- sc.Text():
			default: // a test not waiting for logs must not stall the manager
			}
		}
	}()
	return scanned
}

// waitLog waits for a log line containing want.
func (m *process) waitLog(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line := <-m.logs:
			if strings.Contains(line, want) {
				return
			}
		case <-timeout:
			t.Fatalf("jig-manager did not log %q within 20s", want)
		}
	}
}

var memLimitRE = regexp.MustCompile(`(?m)^Environment=GOMEMLIMIT=(\S+)$`)

// unitMemLimit is the GOMEMLIMIT of the systemd unit.
func unitMemLimit(t *testing.T) string {
	unit, err := os.ReadFile("../../deploy/systemd/jig-manager@.service")
	if err != nil {
		t.Fatal(err)
	}
	m := memLimitRE.FindSubmatch(unit)
	if m == nil {
		t.Fatal("the unit sets no GOMEMLIMIT")
	}
	return string(m[1])
}

// procStatus is a field of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// flood publishes count bodies of size for serial's Ping and waits for
// their replies, each too_large.
func flood(t *testing.T, serial string, count, size int) {
	rc := testutil.NewRawCaller(t, testutil.AMQPURL(mqmanager.DefaultURL))
	ch, replies := rc.Ch, rc.Replies
	body := make([]byte, size)
	for i := range count {
		err := ch.Publish(mqmanager.Exchange, mqmanager.RoutingKey(serial, "Ping"), false, false, amqp.Publishing{
			ContentType: mqmanager.ContentType, CorrelationId: strconv.Itoa(i), ReplyTo: rc.Queue, Body: body})
		if err != nil {
			t.Fatal(err)
		}
	}
	timeout := time.After(60 * time.Second)
	for i := range count {
		select {
		case d := <-replies:
			if !strings.Contains(string(d.Body), `"code":"too_large"`) {
				t.Fatalf("reply %d: %s", i, d.Body)
			}
		case <-timeout:
			t.Fatalf("%d of %d floods answered within 60s", i, count)
		}
	}
}

func dialTest(t *testing.T) *mqmanager.Client {
	c, err := mqmanager.Dial(ctxTimeout(t, 5*time.Second),
		mqmanager.ClientConfig{Broker: mqmanager.Broker{URLs: []string{testutil.AMQPURL(mqmanager.DefaultURL)}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
