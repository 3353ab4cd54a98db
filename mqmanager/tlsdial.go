package mqmanager

import (
	"crypto/tls"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// We do the TLS handshake of an amqps:// URL ourselves and hand amqp091-go
// an established TLS stream under an amqp:// URL, for three reasons:
//   - the handshake is bounded by the caller's context;
//   - each dial gets its own copy of Broker.TLS (amqp091-go writes the
//     first URL's host into a shared config's ServerName, which would then
//     be checked against every other node of a cluster);
//   - with TLS 1.3 a broker that refuses our client certificate says so
//     with an alert after the handshake, which amqp091-go may report only
//     as "channel/connection is not open"; we keep the alert and report it.

// tlsDialer dials one amqps URL's host and port, whatever amqp091-go asks.
type tlsDialer struct {
	hs   *handshake
	addr string
	cfg  *tls.Config

	mu   sync.Mutex
	conn *alertConn
}

// prepareTLS returns the URL to give amqp091-go and, for an amqps URL, sets
// cfg.Dial to a tlsDialer that it also returns. Other URLs pass unchanged.
func prepareTLS(hs *handshake, rawURL string, base *tls.Config, cfg *amqp.Config) (string, *tlsDialer, error) {
	uri, err := amqp.ParseURI(rawURL)
	if err != nil || uri.Scheme != "amqps" {
		return rawURL, nil, nil // amqp091-go reports a URL that does not parse
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL, nil, nil
	}
	tcfg, err := tlsConfigFor(uri, base)
	if err != nil {
		return "", nil, err
	}
	u.Scheme, u.Host = "amqp", net.JoinHostPort(uri.Host, strconv.Itoa(uri.Port))
	d := &tlsDialer{hs: hs, addr: u.Host, cfg: tcfg}
	cfg.Dial = d.dial
	return u.String(), d, nil
}

// tlsConfigFor is a copy of base, or without one the URL's own TLS query
// parameters (cacertfile, certfile, keyfile, server_name_indication), with
// the server name defaulting to the URL's host.
func tlsConfigFor(uri amqp.URI, base *tls.Config) (*tls.Config, error) {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		files := TLSFiles{CA: uri.CACertFile, Cert: uri.CertFile, Key: uri.KeyFile, ServerName: uri.ServerName}
		var err error
		if cfg, err = files.Config(); err != nil {
			return nil, err
		}
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = uri.Host
	}
	return cfg, nil
}

func (d *tlsDialer) dial(network, _ string) (net.Conn, error) {
	raw, err := dialer(d.hs)(network, d.addr)
	if err != nil {
		return nil, err
	}
	tc := tls.Client(raw, d.cfg)
	if err := tc.HandshakeContext(d.hs.ctx); err != nil {
		raw.Close()
		return nil, &tlsError{addr: d.addr, err: err, withCert: hasCert(d.cfg)}
	}
	c := &alertConn{Conn: tc}
	d.mu.Lock()
	d.conn = c
	d.mu.Unlock()
	return c, nil
}

// refusal is the TLS alert the broker sent after the handshake, if any.
func (d *tlsDialer) refusal() error {
	if d == nil {
		return nil
	}
	d.mu.Lock()
	c := d.conn
	d.mu.Unlock()
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alert
}

// alertConn is a TLS connection that keeps the first alert it reads.
type alertConn struct {
	*tls.Conn
	mu    sync.Mutex
	alert error
	heard bool // the broker sent something: the handshake's aftermath is over
}

func (c *alertConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heard = c.heard || n > 0
	if err != nil && c.alert == nil && isRemoteAlert(err) {
		c.alert = err
	}
	return n, err
}

// Write, when it fails before the broker said anything, reads what the
// broker sent before it closed: after a TLS 1.3 handshake, the refusal of
// our certificate is an alert and a close, and our first write (the AMQP
// header) may meet the close before anyone read the alert.
func (c *alertConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	drain := err != nil && !c.heard && c.alert == nil
	c.mu.Unlock()
	if drain {
		_ = c.Conn.SetReadDeadline(time.Now().Add(time.Second))
		var b [1]byte
		_, _ = c.Read(b[:])
	}
	return n, err
}

func hasCert(cfg *tls.Config) bool {
	return len(cfg.Certificates) > 0 || cfg.GetClientCertificate != nil
}
