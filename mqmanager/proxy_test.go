package mqmanager

import (
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a TCP proxy to a broker that a test can black-hole (every byte
// dropped, sockets kept open, as a dead route does), freeze (nothing read
// any more, so the senders' socket buffers fill and their writes block, as
// with a peer that stopped reading), refuse new connections, or cut.
type proxy struct {
	ln       net.Listener
	target   string
	stalled  atomic.Bool // black hole: read and drop
	mute     atomic.Bool // pass a client's protocol header, drop the rest it sends: a login that never arrives
	refuse   atomic.Bool // close new connections at once
	accepted atomic.Int64
	closing  chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
	thawed   chan struct{} // closed unless frozen
}

// newProxy proxies to the broker of testURL; the returned URL goes through
// the proxy. It is closed at the end of the test.
func newProxy(t *testing.T) (*proxy, string) { return newProxyTo(t, testURL()) }

// newProxyTo proxies to the broker of brokerURL.
func newProxyTo(t *testing.T, brokerURL string) (*proxy, string) {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: u.Host, closing: make(chan struct{}), thawed: make(chan struct{})}
	close(p.thawed)
	if u.Port() == "" {
		p.target += ":5672"
	}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		if p.refuse.Load() {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up, false)
		go p.pipe(up, c, true)
	}
}

// pipe copies src to dst, dropping what it reads while the proxy is
// stalled (and, muted, what a client sends after its protocol header), and
// holding it (reading no more) while the proxy is frozen.
func (p *proxy) pipe(dst, src net.Conn, fromClient bool) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	passed := 0 // bytes from the client
	for {
		n, err := src.Read(buf)
		if !p.gate() {
			return
		}
		if fromClient && p.mute.Load() {
			n = max(min(n, 8-passed), 0)
		}
		passed += n
		if n > 0 && !p.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if err != io.EOF {
				src.Close()
			}
			dst.Close()
			return
		}
	}
}

// gate waits while the proxy is frozen; false when it is closing.
func (p *proxy) gate() bool {
	p.mu.Lock()
	thawed := p.thawed
	p.mu.Unlock()
	select {
	case <-thawed:
		return true
	case <-p.closing:
		return false
	}
}

// freeze stops every pipe after its current read; thaw resumes them.
func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if isClosed(p.thawed) {
		p.thawed = make(chan struct{})
	}
}

func (p *proxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !isClosed(p.thawed) {
		close(p.thawed)
	}
}

// cut closes every proxied connection; new ones are still accepted.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// close stops the proxy and waits for its goroutines. Idempotent.
func (p *proxy) close() {
	p.mu.Lock()
	if !isClosed(p.closing) {
		close(p.closing)
	}
	p.mu.Unlock()
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}
