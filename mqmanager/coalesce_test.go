package mqmanager

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testpki"
)

// tcpPair is both ends of a real loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// gatedConn holds every socket write until its gate opens, and counts the
// writes that reached the socket; with fail set, writes fail with it.
type gatedConn struct {
	net.Conn
	fail   error
	gate   chan struct{}
	closed chan struct{}
	once   sync.Once
	mu     sync.Mutex
	writes int
	sizes  []int         // of each write that reached the socket
	firsts []*byte       // where each one's bytes were
	inside chan struct{} // gets a value as each write starts waiting
}

func gated(c net.Conn) *gatedConn {
	return &gatedConn{Conn: c, gate: make(chan struct{}), closed: make(chan struct{}), inside: make(chan struct{}, 16)}
}

func (g *gatedConn) Write(p []byte) (int, error) {
	g.inside <- struct{}{}
	if g.fail != nil {
		return 0, g.fail
	}
	select {
	case <-g.gate:
	case <-g.closed:
		return 0, net.ErrClosed
	}
	g.mu.Lock()
	g.writes++
	g.sizes = append(g.sizes, len(p))
	g.firsts = append(g.firsts, &p[0])
	g.mu.Unlock()
	return g.Conn.Write(p)
}

func (g *gatedConn) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

// waitIdle waits until c's drain has ended.
func waitIdle(c *coalescingConn) {
	c.mu.Lock()
	for c.draining {
		c.changed.Wait()
	}
	c.mu.Unlock()
}

func TestCoalesceGathersWritesMadeDuringASocketWrite(t *testing.T) {
	client, server := tcpPair(t)
	g := gated(client)
	c := coalesce(g)
	if _, err := c.Write([]byte("first;")); err != nil {
		t.Fatal(err)
	}
	<-g.inside // the drain is in its first socket write
	var want bytes.Buffer
	want.WriteString("first;")
	for i := range 100 {
		rec := fmt.Sprintf("r%03d;", i)
		want.WriteString(rec)
		if _, err := c.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	close(g.gate)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(server)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("peer read %q, want %q", got, want.Bytes())
	}
	if g.writes != 2 {
		t.Fatalf("101 writes reached the socket in %d writes, want 2 (the first, then the 100 gathered behind it)", g.writes)
	}
}

func TestCoalesceKeepsEachWritersOrder(t *testing.T) {
	client, server := tcpPair(t)
	c := coalesce(client)
	const writers, each = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := c.Write(fmt.Appendf(nil, "%d:%d\n", w, i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		read <- b
	}()
	wg.Wait()
	c.Close()
	next := make([]int, writers)
	for _, line := range bytes.Split(bytes.TrimSuffix(<-read, []byte("\n")), []byte("\n")) {
		var w, i int
		if _, err := fmt.Sscanf(string(line), "%d:%d", &w, &i); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		if i != next[w] {
			t.Fatalf("writer %d: record %d arrived where %d was due", w, i, next[w])
		}
		next[w]++
	}
	for w, n := range next {
		if n != each {
			t.Errorf("writer %d: %d records arrived, want %d", w, n, each)
		}
	}
}

func TestCoalesceHoldsWritersBackWhenThePeerStopsTakingBytes(t *testing.T) {
	client, _ := tcpPair(t)
	g := gated(client) // the socket never takes anything
	c := coalesce(g)
	chunk := make([]byte, 16<<10) // under coalesceDirect: buffered
	accepted := make(chan int, 1)
	blocked := make(chan error, 1)
	go func() {
		n := 0
		for {
			if _, err := c.Write(chunk); err != nil {
				accepted <- n
				blocked <- err
				return
			}
			n += len(chunk)
		}
	}()
	<-g.inside // the drain holds the first chunk in its socket write
	// The writer fills the buffer to the limit, then waits for room: it
	// returns only when Close fails the waiting write.
	c.mu.Lock()
	for len(c.pending) < coalesceLimit {
		c.changed.Wait()
	}
	c.mu.Unlock()
	c.Close() // the gate never opens: Close closes the socket after its grace
	n, err := <-accepted, <-blocked
	// The drain's batch in the socket is at most the limit plus one write,
	// and so is the buffer behind it.
	if max := 2 * (coalesceLimit + len(chunk)); n > max {
		t.Errorf("%d bytes accepted while the peer took none, bound %d", n, max)
	}
	if err == nil {
		t.Error("the waiting write returned no error after Close")
	}
}

// TestCoalesceCloseAfterAFailedReadDoesNotWait: once a read failed (the
// peer silent past amqp091-go's heartbeat deadline), Close closes the
// socket at once instead of waiting for a drain the peer will never take,
// which held amqp091-go's shutdown, and its locks, for the grace.
func TestCoalesceCloseAfterAFailedReadDoesNotWait(t *testing.T) {
	client, _ := tcpPair(t)
	g := gated(client) // the socket never takes anything
	c := coalesce(g)
	c.grace = time.Hour // what Close would wait for without the failed read
	if _, err := c.Write([]byte("connection.close-ok")); err != nil {
		t.Fatal(err)
	}
	<-g.inside // the drain holds it in its socket write
	c.SetReadDeadline(time.Now())
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("the read did not fail")
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second): // far less than the grace
		t.Fatal("Close waited for a drain the silent peer never takes")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v", err)
	}
}

func TestCoalesceFailedSocketFailsLaterWrites(t *testing.T) {
	client, server := tcpPair(t)
	c := coalesce(client)
	client.Close() // the socket fails under the conn
	if _, err := c.Write([]byte("lost")); err != nil {
		t.Fatalf("first write: %v (it is only buffered)", err)
	}
	waitIdle(c)
	if _, err := c.Write([]byte("after")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after the socket failed: %v, want net.ErrClosed", err)
	}
	if b, _ := io.ReadAll(server); len(b) != 0 {
		t.Fatalf("peer read %q from a closed socket", b)
	}
}

func TestCoalesceWriteAfterCloseFails(t *testing.T) {
	client, _ := tcpPair(t)
	c := coalesce(client)
	c.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after Close: %v, want net.ErrClosed", err)
	}
}

func TestCoalesceReadReportsTheWriteFailure(t *testing.T) {
	client, _ := tcpPair(t)
	g := gated(client)
	g.fail = errors.New("write: broken pipe")
	c := coalesce(g)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitIdle(c) // the drain failed and closed the socket
	if _, err := c.Read(make([]byte, 1)); err != g.fail {
		t.Fatalf("read after the failed write: %v, want the write's %v", err, g.fail)
	}
}

// TestCoalesceAboveTLSSendsAllBeforeTheClose: the conn sits above TLS, so
// TLS's close (its close_notify, then a write deadline of now) comes after
// the buffer went out: a close-ok written just before Close arrives.
func TestCoalesceAboveTLSSendsAllBeforeTheClose(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(pki.Server.Cert, pki.Server.Key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	for i := range 20 {
		client, server := tcpPair(t)
		srv := tls.Server(server, &tls.Config{Certificates: []tls.Certificate{cert}})
		read := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(srv)
			read <- b
		}()
		c := coalesce(tls.Client(client, &tls.Config{RootCAs: roots, ServerName: testpki.ServerName}))
		want := fmt.Sprintf("close-ok %d", i)
		if _, err := c.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if got := string(<-read); got != want {
			t.Fatalf("run %d: the peer read %q, want %q", i, got, want)
		}
	}
}

// TestCoalesceLargeWritesGoStraightToTheSocket: a write of coalesceDirect
// bytes or more waits for the batch before it, then reaches the socket as
// it is, uncopied; the order holds.
func TestCoalesceLargeWritesGoStraightToTheSocket(t *testing.T) {
	client, server := tcpPair(t)
	g := gated(client)
	c := coalesce(g)
	read := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(server)
		read <- b
	}()
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	<-g.inside // the drain holds "a" in its socket write
	big := bytes.Repeat([]byte("B"), coalesceDirect)
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write(big)
		wrote <- err
	}()
	close(g.gate)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	want := append(append([]byte("a"), big...), 'c')
	if got := <-read; !bytes.Equal(got, want) {
		t.Fatalf("peer read %d bytes, not a, the large write, c in order", len(got))
	}
	if len(g.sizes) != 3 || g.sizes[1] != len(big) || g.firsts[1] != &big[0] {
		t.Errorf("socket writes of %v bytes, want [1 %d 1], the second the caller's own bytes", g.sizes, len(big))
	}
}
