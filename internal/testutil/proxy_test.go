package testutil

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"
)

// quiet is how long a test listens for bytes that must not come.
const quiet = 300 * time.Millisecond

// echoBroker is a TCP server that sends back what it reads, standing for
// the broker; its URL is amqp:// to its port. It is closed, and its
// goroutines waited for, at the end of the test.
func echoBroker(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(c, c); c.Close() })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return (&url.URL{Scheme: "amqp", User: url.UserPassword("guest", "guest"), Host: ln.Addr().String(), Path: "/"}).String()
}

// dialProxy connects to the proxy at proxyURL; closed at the end of the test.
func dialProxy(t *testing.T, proxyURL string) net.Conn {
	t.Helper()
	u, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg to c and wants it back within five seconds.
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	wantRead(t, c, msg)
}

// wantRead wants exactly msg from c within five seconds.
func wantRead(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, []byte(msg)) {
		t.Fatalf("read %q, %v: want %q", got, err, msg)
	}
}

// wantSilence wants nothing from c for quiet, the connection still open.
func wantSilence(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(quiet))
	if n, err := c.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v: want nothing, the link open", n, err)
	}
}

// wantClosed wants c closed by the proxy (EOF or a reset).
func wantClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 64)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v: want the link closed", n, err)
	}
}

func TestProxyCarries(t *testing.T) {
	_, u := NewProxy(t, echoBroker(t))
	roundTrip(t, dialProxy(t, u), "hello")
}

func TestProxyCut(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	c := dialProxy(t, u)
	roundTrip(t, c, "before")
	p.Cut()
	wantClosed(t, c)
	roundTrip(t, dialProxy(t, u), "a new link")
}

func TestProxyRefuse(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	p.Refuse(true)
	wantClosed(t, dialProxy(t, u))
	if n := p.Accepted(); n != 1 {
		t.Errorf("accepted %d, want 1 (refused ones count)", n)
	}
	p.Refuse(false)
	roundTrip(t, dialProxy(t, u), "taken again")
}

func TestProxyStall(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	c := dialProxy(t, u)
	p.Stall(true)
	if _, err := c.Write([]byte("dropped")); err != nil {
		t.Fatal(err)
	}
	wantSilence(t, c)
	p.Stall(false)
	roundTrip(t, c, "carried")
}

func TestProxyMute(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	p.Mute(true)
	c := dialProxy(t, u)
	header := "AMQP\x00\x00\x09\x01"
	if _, err := c.Write([]byte(header + "start-ok")); err != nil {
		t.Fatal(err)
	}
	wantRead(t, c, header)
	wantSilence(t, c)
}

func TestProxyFreezeThaw(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	c := dialProxy(t, u)
	roundTrip(t, c, "before")
	p.Freeze()
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	wantSilence(t, c)
	dialProxy(t, u)
	WaitFor(t, "a new link accepted while frozen", 5*time.Second, func() bool { return p.Accepted() == 2 })
	p.Thaw()
	wantRead(t, c, "held")
}

// TestProxyPauseHangsConnect: paused, with an accept queue of one, the
// proxy takes the connection under way, if any, and queues one more; the
// next connect hangs. Thawed, the queued one is linked.
func TestProxyPauseHangsConnect(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t), AcceptQueueOfOne)
	c := dialProxy(t, u)
	roundTrip(t, c, "before") // the accept loop is past this link's Accept
	host := c.RemoteAddr().String()
	p.Pause()
	var conns []net.Conn
	for len(conns) < 3 {
		c, err := net.DialTimeout("tcp", host, quiet)
		if err != nil {
			if !isTimeout(err) {
				t.Fatalf("connect %d: %v, want it hung until its deadline", len(conns), err)
			}
			break
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	if len(conns) == 3 {
		t.Fatal("three connects through the paused proxy: want one to hang")
	}
	p.Thaw()
	roundTrip(t, conns[len(conns)-1], "after the pause")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestProxyCloseWaits: Close returns, its goroutines ended, with frozen
// links holding bytes; nothing listens after it, and it may be called
// again.
func TestProxyCloseWaits(t *testing.T) {
	p, u := NewProxy(t, echoBroker(t))
	c := dialProxy(t, u)
	p.Freeze()
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	wantClosed(t, c)
	if c, err := net.Dial("tcp", c.RemoteAddr().String()); err == nil {
		c.Close()
		t.Fatal("the closed proxy still accepts")
	}
	p.Close()
}
