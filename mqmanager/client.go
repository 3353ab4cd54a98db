package mqmanager

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ReplyMode is how a Client receives replies. All modes give the same
// outcomes; they differ in cost.
type ReplyMode int

const (
	// ReplyPerRequest declares a fresh exclusive queue for each request,
	// named by the client (ReplyQueuePrefix), gone with the request (the
	// default, and what jigctl uses). A long-lived client declares a couple
	// ahead of its requests (client_spare.go), each still used by one.
	ReplyPerRequest ReplyMode = iota
	// ReplyShared uses one exclusive queue per client connection; replies
	// are matched by correlation id.
	ReplyShared
	// ReplyDirect uses RabbitMQ's direct reply-to: no reply queue at all.
	ReplyDirect
)

var replyModeNames = []string{"per-request", "shared", "direct"}

func (m ReplyMode) String() string {
	if int(m) < len(replyModeNames) {
		return replyModeNames[m]
	}
	return fmt.Sprintf("ReplyMode(%d)", int(m))
}

// ParseReplyMode parses "per-request", "shared" or "direct".
func ParseReplyMode(s string) (ReplyMode, error) {
	for i, n := range replyModeNames {
		if s == n {
			return ReplyMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown reply mode %q: want per-request, shared or direct", s)
}

// ClientConfig configures a Client.
type ClientConfig struct {
	Broker    Broker
	ReplyMode ReplyMode
	// AppID is the app_id property of requests; default "jigctl".
	AppID string
	// CheckReplyUser accepts a reply only when its user_id (which the
	// broker validates) is the broker user of the fixture it is from:
	// ReplyUser of the serial asked (a reply naming another serial is
	// refused), or for a broadcast of the serial the reply names. Other
	// replies are discarded, counted (Rejected) and logged, and the request
	// goes on waiting for the genuine reply or its deadline. Off, any reply
	// is accepted: for development only (the demo's single guest user).
	// CallQueue's replies are never checked.
	CheckReplyUser bool
	// ReplyUser maps a serial to its manager's broker user; default
	// FixtureUser ("jig-<serial>"). See ReplyUserFormat.
	ReplyUser func(serial string) string
	// Logger receives the client's logs; nil logs nothing.
	Logger *slog.Logger
	// ShortLived says the client is closed right after a few requests, as
	// in a jigctl run. In the per-request mode a request's reply queue is
	// then left to the client's Close (the connection's close deletes its
	// exclusive queues) instead of being cancelled when the request ends:
	// the broker deletes the queue before it confirms a cancel, and a close
	// waits for a cancel in progress, so a process that cancels and then
	// closes waits for both (close p50 1.7 ms after a cancel, 1.2 ms
	// without, on a busy broker). A client that goes on making requests
	// must not set it: their queues would last until it closes. Its
	// Close waits at most shortLivedCloseGrace for the broker's close-ok
	// (a healthy broker's takes about a millisecond), not closeGrace, so
	// that a process that has its outcome never lingers long on a link
	// that stopped answering.
	ShortLived bool
}

// shortLivedCloseGrace bounds a ShortLived client's Close.
const shortLivedCloseGrace = 250 * time.Millisecond

// closeGrace is how long Close waits for the broker.
func (c *Client) closeGrace() time.Duration {
	if c.cfg.ShortLived {
		return shortLivedCloseGrace
	}
	return closeGrace
}

// Client sends requests to managers and multiplexes their replies. It is
// safe for concurrent use. It connects on Dial and, after losing the broker,
// again on the next request; requests pending on a lost connection fail at
// once with ErrBrokerUnreachable.
type Client struct {
	cfg       ClientConfig
	log       *slog.Logger
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup
	discarded atomic.Uint64 // replies with an unknown or late correlation id
	rejected  atomic.Uint64 // replies that failed the reply-user check
	// users maps each URL to the user_id of its requests.
	users map[string]string

	dialing chan struct{} // a token held by the one caller dialling
	// underWay is the latest dial's (see waitedOut).
	underWay atomic.Pointer[dialUnderWay]
	nodes    *ring // the URLs, walked from the one after the node last used

	mu     sync.Mutex
	closed bool
	cur    *link
}

// Dial connects to the broker (the URLs in turn) within ctx.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	if cfg.AppID == "" {
		cfg.AppID = "jigctl"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	users, err := cfg.Broker.publishUsers()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: log, done: make(chan struct{}), users: users, dialing: make(chan struct{}, 1),
		nodes: newRing(cfg.Broker.urls(), 0)}
	if _, err := c.link(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Node is the broker node (host:port, see NodeOf) of the client's live
// connection, "" when it has none (it dials again on the next request).
func (c *Client) Node() string {
	if l, _ := c.live(); l != nil {
		return l.node
	}
	return ""
}

// Discarded counts the replies dropped because no request was waiting for
// their correlation id (late, duplicate or foreign replies).
func (c *Client) Discarded() uint64 { return c.discarded.Load() }

// Close fails every pending request with ErrClosed, closes the connection
// and waits for the client's goroutines. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.done)
	l := c.cur
	c.cur = nil
	c.mu.Unlock()
	var err error
	if l != nil {
		err = l.conn.closeWithin(c.closeGrace())
	}
	c.wg.Wait()
	if err == amqp.ErrClosed {
		err = nil
	}
	return err
}

// spawn runs f on a goroutine the client owns (Close waits for it).
func (c *Client) spawn(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// link returns the live connection, dialling a new one if there is none,
// from the URL after the one last connected to (a lost node is tried last).
// One caller dials at a time; the others wait for it only as long as their
// contexts allow.
func (c *Client) link(ctx context.Context) (*link, error) {
	if l, err := c.live(); l != nil || err != nil {
		return l, err
	}
	if err := c.takeDial(ctx); err != nil {
		return nil, err
	}
	defer func() { c.underWay.Store(nil); <-c.dialing }() // no dial under way
	if l, err := c.live(); l != nil || err != nil {
		return l, err // dialled by the caller we waited for
	}
	var errs []error
	for _, url := range c.nodes.order() {
		hs := newHandshake(ctx)
		c.underWay.Store(&dialUnderWay{hs: hs, url: url})
		conn, err := dialWatched(hs, url, c.cfg.Broker)
		if err == nil {
			c.nodes.used(url)
			return c.adopt(conn, url)
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, unreachable("no broker answered: %v", errs)
}

// takeDial takes the one dialling place. A free place is taken even when
// ctx has ended, so that the dial itself says what its time allowed (a
// select on both would pick at random, and an ended ctx would come back as
// a bare context error, no outcome). Waiting for another caller's dial, a
// ctx that ends is the outcome waitedOut gives.
func (c *Client) takeDial(ctx context.Context) error {
	select {
	case c.dialing <- struct{}{}:
		return nil
	default:
	}
	had := newHandshake(ctx).timeLeft()
	select {
	case c.dialing <- struct{}{}:
		if ctx.Err() == nil {
			return nil
		}
		<-c.dialing // freed as ctx ended: a dial with no time left would say nothing true
	case <-ctx.Done():
	case <-c.done:
		return ErrClosed
	}
	return c.waitedOut(ctx, had)
}

// live returns the current link if it is alive, ErrClosed after Close.
func (c *Client) live() (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if c.cur != nil && !c.cur.isDead() {
		return c.cur, nil
	}
	return nil, nil
}

// adopt makes conn the current link and starts its watcher, unless the
// client was closed while it was being dialled.
func (c *Client) adopt(conn *wire, url string) (*link, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		conn.close()
		return nil, ErrClosed
	}
	c.cur = newLink(conn, c.users[url])
	c.cur.node = NodeOf(url)
	c.wg.Add(1)
	go func(l *link) { defer c.wg.Done(); l.watch() }(c.cur)
	return c.cur, nil
}

// link is one connection and what lives on it.
type link struct {
	conn   *wire
	user   string // user_id of its publishes: the connection's user
	node   string // the broker node it is connected to (NodeOf)
	closed chan *amqp.Error
	dead   chan struct{} // closed when the connection is gone

	muxMu sync.Mutex
	mux   *mux // the shared or direct reply path, made on first use

	idle   chan *replyChan // the per-request mode's idle channels
	spares *spares         // and its queues declared ahead (client_spare.go)
}

func newLink(conn *wire, user string) *link {
	return &link{conn: conn, user: user, closed: conn.NotifyClose(make(chan *amqp.Error, 1)), dead: make(chan struct{}),
		idle: make(chan *replyChan, maxIdleReplyChans), spares: newSpares()}
}

// watch waits for the connection to close, closes its socket (a publish
// blocked on a peer that stopped reading returns, and amqp091-go's shutdown
// that waits for it completes) and marks the link dead, so the next request
// dials anew. Pending requests learn of the loss from their reply paths,
// whose channels close with the connection, or from dead.
func (l *link) watch() {
	<-l.closed
	l.conn.sock.Close()
	close(l.dead)
}

func (l *link) isDead() bool { return isClosed(l.dead) || l.conn.IsClosed() }
