package testutil

import (
	"net"
	"net/url"
	"os"
	"sync"
	"syscall"
	"testing"
)

// PausableProxy is a TCP proxy to a broker that a test can pause as a
// SIGSTOPped broker is paused, and resume: while paused every link stays
// open but carries nothing (nothing is read any more, either way), and no
// new connection is accepted. Its accept queue holds one connection, so
// that once it is full the kernel drops new connections' SYNs and a
// dial's TCP connect hangs until its deadline, as a paused broker's does
// once its backlog is full.
type PausableProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	running chan struct{} // closed unless paused
	closing chan struct{}
	conns   []net.Conn
	wg      sync.WaitGroup
}

// NewPausableProxy proxies to the broker of brokerURL and returns the URL
// through it. It is closed at the end of the test.
func NewPausableProxy(t testing.TB, brokerURL string) (*PausableProxy, string) {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &PausableProxy{ln: listenBacklogOne(t), target: u.Host, running: make(chan struct{}),
		closing: make(chan struct{})}
	close(p.running)
	if u.Port() == "" {
		p.target += ":5672"
	}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	u.Host = p.ln.Addr().String()
	return p, u.String()
}

// Pause stops every link after its current read, and the accepting of
// new connections after the one under way.
func (p *PausableProxy) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.running:
		p.running = make(chan struct{})
	default:
	}
}

// Resume lets every link carry again, as a broker continued (SIGCONT)
// does: what was sent meanwhile goes on, late.
func (p *PausableProxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.running:
	default:
		close(p.running)
	}
}

func (p *PausableProxy) accept() {
	for p.gate() {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		select {
		case <-p.closing: // close has begun: it closes only the conns it saw
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		default:
		}
		p.conns = append(p.conns, c, up)
		p.wg.Go(func() { p.pipe(c, up) }) // under mu: close's Wait comes after
		p.wg.Go(func() { p.pipe(up, c) })
		p.mu.Unlock()
	}
}

// pipe copies src to dst, reading nothing while the proxy is paused.
func (p *PausableProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for p.gate() {
		n, err := src.Read(buf)
		if n > 0 && p.gate() {
			_, err = dst.Write(buf[:n])
		}
		if err != nil {
			src.Close()
			dst.Close()
			return
		}
	}
}

// gate waits while the proxy is paused; false once it is closing.
func (p *PausableProxy) gate() bool {
	p.mu.Lock()
	running := p.running
	p.mu.Unlock()
	select {
	case <-running:
		return true
	case <-p.closing:
		return false
	}
}

// close stops the proxy and waits for its goroutines.
func (p *PausableProxy) close() {
	p.mu.Lock()
	close(p.closing)
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
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
