package mqmanager

import (
	"net"
	"sync"
	"time"
)

// amqp091-go writes each publish to the socket itself, one write(2) per
// message, holding the connection's send lock through the system call: with
// 64 requests in flight the other publishers queue on that lock, and the
// broker reads one small TCP segment per message. A coalescingConn takes
// the library's writes into a buffer and returns at once; one drain
// goroutine sends what has gathered in one write(2), so that the messages
// published while it was in the kernel go out together (nats.go's flusher
// does the same). A lone message goes out at once: the drain starts with
// the first byte and never waits for more.

const (
	// coalesceLimit bounds the bytes waiting for the drain: past it a
	// write waits until the socket takes them, as a blocking write would,
	// so that a peer that stops reading holds back its publishers
	// instead of growing memory. With the batch the drain is sending, a
	// conn holds at most twice the limit plus its largest write (a frame,
	// at most 128 KiB).
	coalesceLimit = 1 << 20

	// coalesceKeep is the largest buffer kept for the next batch; one
	// that grew past it (a Fib(10^6) reply) is left to the collector.
	coalesceKeep = 64 << 10

	// coalesceDirect is the size from which a write is not copied: it
	// waits for the batch before it to go out, then goes to the socket
	// itself, as a frame of a large body (a Fib(10^6) reply) did before
	// writes were gathered. Gathering helps small messages, copying
	// would only cost the large ones.
	coalesceDirect = 32 << 10

	// coalesceCloseGrace bounds how long Close waits for the drain to
	// send what is buffered before it closes the socket under it. It does
	// not wait at all once a read failed: a peer that stopped answering
	// (amqp091-go's heartbeat deadline) or left takes nothing more, and
	// amqp091-go closes the stream while it holds its locks.
	coalesceCloseGrace = time.Second
)

// coalescingConn is a net.Conn whose writes are gathered and sent by one
// drain goroutine at a time, started by a write that finds none running;
// it ends when the buffer is empty, and Close waits for it. It is the
// outermost stream (above TLS, so that a TLS close runs after the buffer
// went out). A failed write closes the stream, so that the connection's
// reader fails too, with the write's error.
type coalescingConn struct {
	net.Conn
	mu       sync.Mutex
	changed  sync.Cond // the buffer grew or was taken, the socket failed, the drain ended
	pending  []byte    // written, not yet taken by the drain
	spare    []byte    // the drain's last buffer, reused for the next batch
	draining bool
	err      error // the stream's failure, or net.ErrClosed; sticky
	readErr  bool  // a read failed: the peer is gone or silent
	grace    time.Duration
}

func coalesce(c net.Conn) *coalescingConn {
	cc := &coalescingConn{Conn: c, grace: coalesceCloseGrace}
	cc.changed.L = &cc.mu
	return cc
}

// Read reads from the stream; once a write failed and closed it, a failed
// read reports the write's error rather than the close it caused.
func (c *coalescingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.mu.Lock()
		c.readErr = true
		if c.err != nil && c.err != net.ErrClosed {
			err = c.err
		}
		c.mu.Unlock()
	}
	return n, err
}

// Write buffers p for the drain. It fails once the socket failed or the
// conn was closed, and waits while coalesceLimit bytes are buffered.
func (c *coalescingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && len(c.pending) >= coalesceLimit {
		c.changed.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	if len(p) >= coalesceDirect {
		return c.writeDirect(p)
	}
	c.pending = append(c.pending, p...)
	c.changed.Broadcast() // for a test watching the buffer; cheap without waiters
	if !c.draining {
		c.draining = true
		go c.drain()
	}
	return len(p), nil
}

// writeDirect writes p to the socket itself once nothing is buffered or
// being sent; while it does, other writes gather behind it, and a drain
// sends them after. Called and returns with c.mu held.
func (c *coalescingConn) writeDirect(p []byte) (int, error) {
	for c.err == nil && c.draining { // pending is empty once no drain runs
		c.changed.Wait()
	}
	if c.err != nil {
		return 0, c.err
	}
	c.draining = true
	c.mu.Unlock()
	n, err := c.Conn.Write(p)
	if err != nil {
		c.Conn.Close()
	}
	c.mu.Lock()
	if err != nil && c.err == nil {
		c.err = err
	}
	if c.err == nil && len(c.pending) > 0 {
		go c.drain() // the writes that gathered behind this one
	} else {
		c.ended()
	}
	return n, err
}

// drain sends what gathered until nothing is left or a write fails. Two
// buffers swap, so that a steady stream allocates nothing.
func (c *coalescingConn) drain() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) > 0 && c.err == nil {
		out := c.pending
		c.pending, c.spare = c.spare[:0], nil
		c.changed.Broadcast()
		c.mu.Unlock()
		_, err := c.Conn.Write(out)
		if err != nil {
			c.Conn.Close()
		}
		c.mu.Lock()
		if cap(out) <= coalesceKeep {
			c.spare = out
		}
		if err != nil && c.err == nil {
			c.err = err
		}
	}
	c.ended()
}

// ended marks the socket idle, with c.mu held.
func (c *coalescingConn) ended() {
	if c.err != nil {
		c.pending, c.spare = nil, nil // never sent now: let the collector have them
	}
	c.draining = false
	c.changed.Broadcast()
}

// shortenGrace makes Close wait at most d for the drain.
func (c *coalescingConn) shortenGrace(d time.Duration) {
	c.mu.Lock()
	c.grace = min(c.grace, d)
	c.mu.Unlock()
}

// Close waits at most coalesceCloseGrace for the drain to send what is
// buffered (a connection.close-ok among it), closes the socket, and makes
// later writes fail. After a failed read it closes the socket at once.
func (c *coalescingConn) Close() error {
	c.mu.Lock()
	grace := c.grace
	if c.readErr {
		grace = 0
	}
	c.mu.Unlock()
	stop := time.AfterFunc(grace, func() { c.Conn.Close() })
	defer stop.Stop()
	c.mu.Lock()
	for c.draining {
		c.changed.Wait()
	}
	if c.err == nil {
		c.err = net.ErrClosed
	}
	c.pending, c.spare = nil, nil
	c.changed.Broadcast()
	c.mu.Unlock()
	return c.Conn.Close()
}
