package mqmanager

import (
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"sync"
)

// A cluster's nodes are the Broker's URLs. A Server starts at a random one,
// so that a floor's managers spread over the cluster instead of all homing
// on the first node, and moves to the next on every loss or failed attempt,
// except that it stays on a node that answered that its queue is still held
// (by its own previous link, not yet dropped: any node would say so). A Client starts at
// the first (a controller may list its nearest node first) and, after a
// loss, dials from the one after the node it lost. docs/cluster.md says what
// a node's loss does to each kind of queue, and which outcome each becomes.

// NodeOf is the node a URL names, as host:port (the scheme's default port
// when it names none), without user or password; "" if it does not parse.
func NodeOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "5672"
		if u.Scheme == "amqps" {
			port = "5671"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// ring is a URL list walked in turn: each walk starts where the last one
// left off.
type ring struct {
	urls []string
	mu   sync.Mutex
	next int // index of the URL to try first
}

func newRing(urls []string, first int) *ring { return &ring{urls: urls, next: first % len(urls)} }

// randomRing starts at a random URL.
func randomRing(urls []string) *ring { return newRing(urls, rand.N(len(urls))) }

// order is every URL once, from the one to try first.
func (r *ring) order() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.urls))
	for i := range r.urls {
		out = append(out, r.urls[(r.next+i)%len(r.urls)])
	}
	return out
}

// used records that rawURL was tried (connected, or failed): the next walk
// starts after it.
func (r *ring) used(rawURL string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.urls, rawURL); i >= 0 {
		r.next = (i + 1) % len(r.urls)
	}
}

// again makes rawURL the one to try next: the node answered, and trying
// the others (one of them perhaps the dead node) would only lose time.
func (r *ring) again(rawURL string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i := slices.Index(r.urls, rawURL); i >= 0 {
		r.next = i
	}
}

// take returns the URL to try now and moves on to the next.
func (r *ring) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.urls[r.next]
	r.next = (r.next + 1) % len(r.urls)
	return u
}

// nodeName holds the node a connection is on now, "" while there is none.
type nodeName struct {
	mu   sync.Mutex
	node string
}

func (n *nodeName) set(rawURL string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.node = NodeOf(rawURL)
}

func (n *nodeName) get() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.node
}
