package testutil

import (
	"context"
	"net"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// Proxy is a TCP proxy between clients and a broker, on which a test plays
// network faults: a paused broker (Pause), a frozen link (Freeze, Thaw), a
// dead route (Stall), a login that stalls (Mute), a refused connect
// (Refuse) and cut links (Cut). Every goroutine it starts ends by Close,
// which waits for them.
type Proxy struct {
	ln       net.Listener
	target   string // the broker's host:port
	dialing  context.Context
	stopDial context.CancelFunc // ends a dial to the broker under way at Close
	accepted atomic.Int64
	stalled  atomic.Bool
	muted    atomic.Bool
	refusing atomic.Bool
	wg       sync.WaitGroup // the accept loop and every pipe

	mu        sync.Mutex
	flowing   chan struct{} // closed unless frozen
	accepting chan struct{} // closed unless paused
	closing   chan struct{} // closed by Close
	conns     []net.Conn    // both ends of every link, for Cut
}

// ProxyOption is a way NewProxy can set a Proxy up.
type ProxyOption int

// AcceptQueueOfOne gives the proxy an accept queue of one connection
// instead of the system's maximum, so that once Pause has stopped the
// accepting and the queue is full, the kernel drops new connections' SYNs
// and a dial's TCP connect hangs until its deadline, as a paused broker's
// does once its backlog is full. Not for proxies that many clients dial
// at once: a dropped SYN is sent again only a second later.
const AcceptQueueOfOne ProxyOption = 1

// amqpHeader is the length of the protocol header a client sends first.
const amqpHeader = 8

// NewProxy proxies to the broker of brokerURL and returns the URL through
// the proxy. It is closed at the end of the test.
func NewProxy(t testing.TB, brokerURL string, opts ...ProxyOption) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: listen(t, slices.Contains(opts, AcceptQueueOfOne)), target: u.Host,
		flowing: make(chan struct{}), accepting: make(chan struct{}), closing: make(chan struct{})}
	close(p.flowing)
	close(p.accepting)
	if u.Port() == "" {
		p.target += ":5672"
	}
	p.dialing, p.stopDial = context.WithCancel(context.Background())
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	u.Host = p.ln.Addr().String()
	return p, u.String()
}

// Pause plays a paused (SIGSTOPped) broker: every link freezes (see
// Freeze) and no new connection is accepted after the one under way; with
// AcceptQueueOfOne, a new connection's TCP connect then hangs. Thaw ends
// it.
func (p *Proxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	shut(&p.flowing)
	shut(&p.accepting)
}

// Freeze plays a frozen link, a peer that stopped reading: every link
// stops after its current read, either way, and reads nothing more, so
// that the senders' socket buffers fill and their writes block; the
// sockets stay open. New connections are still accepted, and frozen too.
// Thaw ends it.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	shut(&p.flowing)
}

// Thaw ends Freeze and Pause, as a broker continued (SIGCONT) does: the
// links carry again, what was sent meanwhile going on, late, and new
// connections are accepted.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	open(&p.flowing)
	open(&p.accepting)
}

// Stall plays a dead route, a black hole, while on: every byte read is
// dropped, either way, and the sockets stay open.
func (p *Proxy) Stall(on bool) { p.stalled.Store(on) }

// Mute plays a login that stalls while on: of what a client sends, only
// its protocol header passes, so the broker greets it (connection.start)
// but never hears its login, nor anything after it.
func (p *Proxy) Mute(on bool) { p.muted.Store(on) }

// Refuse plays a refused connect while on: each new connection is
// accepted (Accepted counts it) and closed at once, before any byte.
func (p *Proxy) Refuse(on bool) { p.refusing.Store(on) }

// Cut plays a cut link, as a broker restart or a forced close does: every
// link through the proxy is closed. New connections are still accepted.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// Accepted is how many connections the proxy has accepted, refused ones
// included.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Close stops the proxy: nothing listens any more, every link is closed,
// and it returns once every goroutine the proxy started has ended. It may
// be called more than once.
func (p *Proxy) Close() {
	p.mu.Lock()
	open(&p.closing)
	p.mu.Unlock()
	p.stopDial()
	p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

// accept links each new connection to the broker, waiting while the proxy
// is paused, until the listener is closed.
func (p *Proxy) accept() {
	var d net.Dialer
	for p.through(&p.accepting) {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.refusing.Load() {
			c.Close()
			continue
		}
		up, err := d.DialContext(p.dialing, "tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		if !p.link(c, up) {
			return
		}
	}
}

// link starts the two pipes between a client's connection c and the
// broker's up; false, having closed both, once Close has begun.
func (p *Proxy) link(c, up net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closing: // Close closes only the connections it saw
		c.Close()
		up.Close()
		return false
	default:
	}
	p.conns = append(p.conns, c, up)
	p.wg.Go(func() { p.pipe(up, c, true) }) // under mu: Close's Wait comes after
	p.wg.Go(func() { p.pipe(c, up, false) })
	return true
}

// pipe copies src to dst until either fails, then closes both. It reads
// nothing while the proxy is frozen and holds what it read; it drops what
// it reads while the proxy stalls and, muted, what a client sends after
// its protocol header.
func (p *Proxy) pipe(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	passed := 0 // bytes from the client
	for p.through(&p.flowing) {
		n, err := src.Read(buf)
		if !p.through(&p.flowing) {
			return // Close closes both
		}
		if fromClient && p.muted.Load() {
			n = max(min(n, amqpHeader-passed), 0)
		}
		passed += n
		if n > 0 && !p.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			src.Close()
			dst.Close()
			return
		}
	}
}

// through waits while gate is shut; false once the proxy is closing.
func (p *Proxy) through(gate *chan struct{}) bool {
	p.mu.Lock()
	opened := *gate
	p.mu.Unlock()
	select {
	case <-opened:
		return true
	case <-p.closing:
		return false
	}
}

// shut shuts an open gate; open opens a shut one. Under Proxy.mu.
func shut(gate *chan struct{}) {
	select {
	case <-*gate:
		*gate = make(chan struct{})
	default:
	}
}

func open(gate *chan struct{}) {
	select {
	case <-*gate:
	default:
		close(*gate)
	}
}

// listen listens on a free port of 127.0.0.1, with an accept queue of one
// connection if queueOfOne, else of the system's maximum.
func listen(t testing.TB, queueOfOne bool) net.Listener {
	t.Helper()
	if queueOfOne {
		return listenBacklogOne(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// listenBacklogOne listens on a free port of 127.0.0.1 with an accept
// queue of one connection (net.Listen's is the system's maximum).
func listenBacklogOne(t testing.TB) net.Listener {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fd)
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close() // the listener has its own copy
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	ln, err := net.FileListener(f)
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
