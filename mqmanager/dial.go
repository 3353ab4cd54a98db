package mqmanager

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultURL is the broker of a development machine.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// DefaultHeartbeat bounds how long a dead link goes unnoticed (about twice it).
const DefaultHeartbeat = 5 * time.Second

// Broker says how to reach the broker.
type Broker struct {
	// URLs are tried in order (a cluster's nodes); default DefaultURL.
	URLs []string
	// Heartbeat interval; default DefaultHeartbeat.
	Heartbeat time.Duration
	// TLS for amqps:// URLs; nil means the system roots with verification.
	TLS *tls.Config
	// External uses SASL EXTERNAL (the client certificate) instead of the
	// URL's user and password.
	External bool
	// Name is shown in the management UI as the connection's name.
	Name string
}

func (b Broker) urls() []string {
	if len(b.URLs) == 0 {
		return []string{DefaultURL}
	}
	return b.URLs
}

// wire is a broker connection with its socket. A peer that stops reading
// (a frozen route, a wedged proxy) blocks amqp091-go's writer inside a
// publish, which holds its channel's lock; the library's own shutdown of
// the connection waits for that lock before it closes the socket, so
// nothing would ever unblock the writer. Closing the socket ourselves does.
type wire struct {
	*amqp.Connection
	sock net.Conn
}

// close closes the connection, waiting at most closeGrace for the broker,
// then the socket, whatever state the connection is in, so that no writer
// stays blocked on it.
func (w *wire) close() error {
	err := w.CloseDeadline(time.Now().Add(closeGrace))
	w.sock.Close()
	return err
}

// dial connects to one URL; ctx bounds the TCP connect, the TLS and the AMQP
// handshakes. Errors wrap ErrBrokerUnreachable and never show a password.
func dial(ctx context.Context, rawURL string, b Broker) (*wire, error) {
	hb := b.Heartbeat
	if hb <= 0 {
		hb = DefaultHeartbeat
	}
	props := amqp.NewConnectionProperties()
	if b.Name != "" {
		props.SetClientConnectionName(b.Name)
	}
	w := &wire{}
	cfg := amqp.Config{Heartbeat: hb, TLSClientConfig: b.TLS, Properties: props, Dial: dialer(ctx, &w.sock)}
	if b.External {
		cfg.SASL = []amqp.Authentication{&amqp.ExternalAuth{}}
	}
	conn, err := amqp.DialConfig(rawURL, cfg)
	if err != nil {
		return nil, unreachable("%s: %v", Redact(rawURL), redactErr(err, rawURL))
	}
	w.Connection = conn
	return w, nil
}

// dialer returns a Dial func bound to ctx: the handshake deadline is ctx's
// (or 10 s without one); amqp091-go clears it once the connection is open.
// The socket is stored in *sock, before DialConfig returns.
func dialer(ctx context.Context, sock *net.Conn) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = time.Now().Add(10 * time.Second)
		}
		if err := conn.SetDeadline(deadline); err != nil {
			conn.Close()
			return nil, err
		}
		*sock = conn
		return conn, nil
	}
}

// Redact returns the URL with its password replaced by "xxxxx", for logs and
// error messages. A URL that does not parse is replaced whole.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	return u.Redacted()
}

func redactErr(err error, rawURL string) string {
	msg := err.Error()
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return msg
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

// ValidateURL checks an AMQP URL without connecting.
func ValidateURL(rawURL string) error {
	if _, err := amqp.ParseURI(rawURL); err != nil {
		return fmt.Errorf("broker URL %s: %v", Redact(rawURL), err)
	}
	return nil
}
