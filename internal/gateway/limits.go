package gateway

import (
	"net/http"
	"time"
)

// The gateway's bounds on what an HTTP client sends, each stated here
// once (docs/http.md lists them): a client sending slowly, or too much,
// holds a connection, a handler and memory no longer and no more than
// this.
const (
	// maxArgs bounds a request's body: 413 too_large beyond it.
	maxArgs = 64 << 10
	// headerTimeout bounds the time a request's headers take to arrive:
	// the connection is closed after it.
	headerTimeout = 10 * time.Second
	// requestTimeout bounds the time a whole request, its body included,
	// takes to arrive from its first byte (net/http: from the
	// connection's opening, TLS handshake included, for its first
	// request): 408 body_timeout after it.
	requestTimeout = 20 * time.Second
)

// httpServer is the gateway's HTTP server of h, with its bounds.
//
// ReadTimeout bounds the body's arrival, whichever handler reads it, and
// net/http's own reading of a body a handler left unread. It does not cut
// an answer that takes longer (an event stream, a status read of 30 s):
// net/http clears the connection's read deadline once the body has been
// read (or at once without one), to watch for the client going away.
// IdleTimeout is left to net/http, which then closes a keep-alive
// connection idle for ReadTimeout.
func (g *Gateway) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: headerTimeout, ReadTimeout: g.requestTimeout}
}
