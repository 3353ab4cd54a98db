package mqmanager

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultURL is the broker of a development machine.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// DefaultHeartbeat bounds how long a dead link goes unnoticed (see
// DeadWithin).
const DefaultHeartbeat = 5 * time.Second

// DeadWithin is how long a client's or a follower's link with heartbeat
// hb (0: DefaultHeartbeat) may be dead before it is seen so: the read
// deadline (silenceLimit), and a second for the close.
func DeadWithin(hb time.Duration) time.Duration {
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	return silenceLimit(hb) + time.Second
}

// silenceLimit is how long a link with heartbeat hb may read nothing
// before its read fails: amqp091-go's read deadline, three half-heartbeat
// intervals, which armSilence also sets for a link's first silence.
func silenceLimit(hb time.Duration) time.Duration { return hb * 3 / 2 }

// Broker says how to reach the broker.
type Broker struct {
	// URLs are tried in order (a cluster's nodes); default DefaultURL.
	URLs []string
	// Heartbeat interval; default DefaultHeartbeat.
	Heartbeat time.Duration
	// TLS for amqps:// URLs (TLSFiles.Config makes one); nil means the
	// system's CAs and no client certificate. Each dial uses a copy, with
	// ServerName defaulting to that URL's host.
	TLS *tls.Config
	// External uses SASL EXTERNAL (the client certificate) instead of the
	// URL's user and password.
	External bool
	// User is the broker user the connection logs in as, set as the
	// user_id of every publish (the broker refuses one that differs). By
	// default it is the URL's user ("guest" when the URL names none); set
	// it with External, where the user is the name the broker takes from
	// the certificate. With a password login it must be the URLs' user.
	User string
	// Name is shown in the management UI as the connection's name.
	Name string
	// Dialer, if not nil, opens every TCP connection (to set socket
	// options in its Control, or a local address); nil is a zero
	// net.Dialer. Its Timeout and Deadline are not needed: the context
	// of the dial bounds the connect and both handshakes.
	Dialer *net.Dialer
}

func (b Broker) urls() []string {
	if len(b.URLs) == 0 {
		return []string{DefaultURL}
	}
	return b.URLs
}

// wire is a broker connection with its socket. A peer that stops reading
// (a frozen route, a wedged proxy) blocks amqp091-go's writer inside a
// publish (waiting for room in the coalescingConn), which holds its
// channel's lock; the library's own shutdown of the connection waits for
// that lock before it closes the socket, so nothing would ever unblock the
// writer. Closing the socket ourselves does: sock is the coalescingConn,
// whose Close sends what is buffered (at most coalesceCloseGrace), then
// closes the stream and fails the waiting writes.
type wire struct {
	*amqp.Connection
	sock net.Conn
}

// close closes the connection, waiting at most closeGrace for the broker,
// then the socket, whatever state the connection is in, so that no writer
// stays blocked on it.
func (w *wire) close() error { return w.closeWithin(closeGrace) }

// closeWithin is close waiting at most grace for the broker, and for what
// is buffered to go out.
func (w *wire) closeWithin(grace time.Duration) error {
	if cc, ok := w.sock.(*coalescingConn); ok {
		cc.shortenGrace(grace)
	}
	err := w.CloseDeadline(time.Now().Add(grace))
	w.sock.Close()
	return err
}

// dial connects to one URL; ctx bounds the TCP connect, the TLS and the AMQP
// handshakes. Errors wrap ErrBrokerUnreachable (but for ctx's deadline
// passing after the broker accepted the login: *ConnectTimeoutError), never
// show a password, and say what failed in TLS (dialerr.go).
func dial(ctx context.Context, rawURL string, b Broker) (*wire, error) {
	return dialWatched(newHandshake(ctx), rawURL, b)
}

// dialWatched is dial within hs's context, hs watching its socket (a
// Client shows it to the requests that wait for this dial).
func dialWatched(hs *handshake, rawURL string, b Broker) (*wire, error) {
	ctx := hs.ctx
	hb := b.Heartbeat
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	props := amqp.NewConnectionProperties()
	if b.Name != "" {
		props.SetClientConnectionName(b.Name)
	}
	w := &wire{}
	if err := opaqueURL(rawURL); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBrokerUnreachable, err)
	}
	hs.dialer = b.Dialer // see handshake.go
	cfg := amqp.Config{Heartbeat: hb, Properties: props, Dial: dialer(hs)}
	if b.External {
		cfg.SASL = []amqp.Authentication{&amqp.ExternalAuth{}}
	}
	target, td, err := prepareTLS(hs, rawURL, b.TLS, &cfg) // see tlsdial.go
	if err != nil {
		return nil, dialFailed(rawURL, b, err, nil, hs)
	}
	cfg.Dial = coalescing(cfg.Dial, &w.sock) // see coalesce.go
	conn, err := amqp.DialConfig(target, cfg)
	if !hs.done() && err == nil {
		conn.Close() // its socket was closed as ctx ended
		err = ctx.Err()
	}
	if err != nil {
		return nil, dialFailed(rawURL, b, err, td, hs)
	}
	w.Connection = conn
	w.armSilence()
	return w, nil
}

// armSilence gives the open link the read deadline that its first frame
// would. amqp091-go clears the handshake's deadline once the connection
// is open, and arms its heartbeat deadline only for a frame it read, in
// a race with that clear for open-ok: a link that froze right after the
// open would otherwise never fail its read, its requests all timeouts,
// never broker unreachable. amqp091-go moves this deadline on with each
// frame, as before. It reaches the TCP socket through every wrapper
// (tls.Conn passes it on); it fails only on a closed socket, whose read
// fails anyway.
func (w *wire) armSilence() {
	if hb := w.Config.Heartbeat; hb > 0 { // the negotiated one; 0: no heartbeats
		_ = w.sock.SetReadDeadline(time.Now().Add(silenceLimit(hb)))
	}
}

// dialer returns a Dial func bound to hs: the handshake deadline is hs's;
// amqp091-go clears it once the connection is open. The socket is closed if
// hs's context ends before the dial is done.
func dialer(hs *handshake) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		var d net.Dialer
		if hs.dialer != nil {
			d = *hs.dialer
		}
		conn, err := d.DialContext(hs.ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := conn.SetDeadline(hs.deadline); err != nil {
			conn.Close()
			return nil, err
		}
		return hs.watch(conn), nil
	}
}

// coalescing wraps what dial returns, the outermost stream amqp091-go
// writes to (TLS included), in a coalescingConn, stored in *sock before
// DialConfig returns: closing it sends what is buffered, then closes the
// stream and the socket under it.
func coalescing(dial func(network, addr string) (net.Conn, error), sock *net.Conn) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		conn, err := dial(network, addr)
		if err != nil {
			return nil, err
		}
		c := coalesce(conn)
		*sock = c
		return c, nil
	}
}
