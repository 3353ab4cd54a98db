package mqmanager

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// TestDialCancelledWhileConnecting: a dial to a peer that accepts and never
// speaks AMQP ends as soon as its context is cancelled (a signal), not at
// its deadline, and is a cancellation, not an unreachable broker.
func TestDialCancelledWhileConnecting(t *testing.T) {
	addr, accepted := testutil.SilentListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{"amqp://guest:guest@" + addr + "/"}}})
		done <- err
	}()
	var conn net.Conn
	select {
	case conn = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the dial never connected")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrBrokerUnreachable) ||
			!strings.Contains(err.Error(), "connecting abandoned") || strings.Contains(err.Error(), "guest:guest") {
			t.Fatalf("want the dial abandoned (context canceled), got %v", err)
		}
	case <-time.After(10 * time.Second): // far less than the dial's 30 s
		t.Fatal("Dial did not return when its context was cancelled")
	}
	// The dial's socket is closed: the peer reads the AMQP header, then EOF.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the abandoned dial's socket is still open: %v", err)
	}
}

// TestDialSilentPeerTimesOut: a peer that sends nothing before the deadline
// is reported as such, not as one that speaks another protocol.
func TestDialSilentPeerTimesOut(t *testing.T) {
	addr, _ := testutil.SilentListener(t)
	for _, d := range []time.Duration{time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		_, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{"amqp://guest:guest@" + addr + "/"}}})
		cancel()
		if !errors.Is(err, ErrBrokerUnreachable) || strings.Contains(err.Error(), "not AMQP") {
			t.Fatalf("timeout %v: want broker unreachable, not the not-AMQP hint, got %v", d, err)
		}
		if d > time.Millisecond && !strings.HasSuffix(err.Error(), ": the broker sent nothing within the time left (300ms)") {
			t.Fatalf("timeout %v: got %v", d, err)
		}
		t.Logf("timeout %v: %v", d, err)
	}
}

// TestBrokerDialerOpensTheSocket: Broker.Dialer opens the connection, its
// Control sees the broker's socket (here it sets the MSS an Ethernet link
// would have, as jigbench's fleet does), and a Control that fails is an
// unreachable broker.
func TestBrokerDialerOpensTheSocket(t *testing.T) {
	var mu sync.Mutex // a name with two addresses may be dialled at once
	var seen []string
	d := &net.Dialer{Control: func(network, address string, rc syscall.RawConn) error {
		mu.Lock()
		seen = append(seen, network+" "+address)
		mu.Unlock()
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 1460)
		}); err != nil {
			return err
		}
		return serr
	}}
	c, err := Dial(ctxTimeout(t, 10*time.Second), ClientConfig{Broker: Broker{URLs: []string{testURL()}, Dialer: d}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ping(ctxTimeout(t, 5*time.Second), uniqueSerial(t)); !errors.Is(err, ErrNoFixture) {
		t.Fatalf("want no fixture through the dialer's connection, got %v", err)
	}
	u, _ := url.Parse(testURL())
	port := cmp.Or(u.Port(), "5672")
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || !strings.HasPrefix(seen[0], "tcp") || !strings.HasSuffix(seen[0], ":"+port) {
		t.Fatalf("Control saw %q, want a tcp socket to the broker's port %s", seen, port)
	}
	refused := &net.Dialer{Control: func(string, string, syscall.RawConn) error { return errors.New("no route here") }}
	_, err = Dial(ctxTimeout(t, 10*time.Second), ClientConfig{Broker: Broker{URLs: []string{testURL()}, Dialer: refused}})
	if !errors.Is(err, ErrBrokerUnreachable) || !strings.Contains(err.Error(), "no route here") {
		t.Fatalf("want broker unreachable with the dialer's reason, got %v", err)
	}
}

// stallingPeer is a listener that answers an AMQP client's header with
// frames, then says nothing more until the client leaves.
func stallingPeer(t *testing.T, frames ...[]byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.ReadFull(c, make([]byte, 8)) // "AMQP" 0 0 9 1
		for _, f := range frames {
			c.Write(f)
		}
		io.Copy(io.Discard, c)
	}()
	return "amqp://guest:guest@" + ln.Addr().String() + "/"
}

// TestDialRanOutAfterTheBrokerAnswered: a broker that took the login
// (connection.start, then tune) but does not open the connection within
// the time left is a timeout of the connection, not an unreachable broker:
// the deadline was too short.
func TestDialRanOutAfterTheBrokerAnswered(t *testing.T) {
	url := stallingPeer(t, connectionStart(),
		method(0, 10, 0, 30, 0, 0, 0, 2, 0, 0, 0, 60))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{url}}})
	var ct *ConnectTimeoutError
	if !errors.As(err, &ct) || !errors.Is(err, ErrTimeout) || errors.Is(err, ErrBrokerUnreachable) ||
		!strings.Contains(err.Error(), "ran out while connecting") || !strings.Contains(err.Error(), "accepted the login") ||
		strings.Contains(err.Error(), "guest:guest") {
		t.Fatalf("want a connection timeout, not an unreachable broker: %v", err)
	}
}

// TestDialLoginStalled: a broker that does not answer the login within
// the time left may be refusing it (RabbitMQ answers a wrong password only
// after 3 s) or busy: the broker is unreachable, and the error says which
// it may be, not that the login was refused (amqp091-go's guess).
func TestDialLoginStalled(t *testing.T) {
	url := stallingPeer(t, connectionStart())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{url}}})
	if !errors.Is(err, ErrBrokerUnreachable) || errors.Is(err, ErrTimeout) || strings.Contains(err.Error(), "login refused") ||
		!strings.Contains(err.Error(), "the login was not accepted within the time left (300ms)") {
		t.Fatalf("want the stalled login said as such: %v", err)
	}
}

// connectionStart is an AMQP 0-9-1 connection.start: version 0-9, no
// server properties, PLAIN, en_US.
func connectionStart() []byte {
	return method(0, 10, 0, 10, 0, 9, 0, 0, 0, 0, 0, 0, 0, 5, 'P', 'L', 'A', 'I', 'N', 0, 0, 0, 5, 'e', 'n', '_', 'U', 'S')
}

// method is an AMQP 0-9-1 method frame on channel 0 with payload p (class
// and method ids first, 16 bits each).
func method(p ...byte) []byte {
	f := []byte{1, 0, 0, 0, 0, byte(len(p) >> 8), byte(len(p))}
	return append(append(f, p...), 0xCE)
}

// TestDialExpiredContext: a dial whose time ran out before it began is a
// broker not reached, every time: never a bare context error (the free
// dialling place and the ended context were once picked between at
// random, and jigctl exited 1 with "context deadline exceeded").
func TestDialExpiredContext(t *testing.T) {
	addr, _ := testutil.SilentListener(t)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for i := range 40 {
		_, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{"amqp://guest:guest@" + addr + "/"}}})
		if !errors.Is(err, ErrBrokerUnreachable) {
			t.Fatalf("dial %d with no time left: %v, want broker unreachable", i, err)
		}
	}
}
