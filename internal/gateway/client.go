package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jigmq/jigmq/mqmanager"
)

// dialLoop dials the gateway's one long-lived client (direct reply-to)
// until it succeeds or ctx ends; after that the client reconnects by
// itself on the next request.
func (g *Gateway) dialLoop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		c, err := mqmanager.Dial(dctx, mqmanager.ClientConfig{Broker: g.mq, ReplyMode: mqmanager.ReplyDirect,
			AppID: "jig-gateway", Logger: g.log.With("component", "client")})
		cancel()
		if err == nil {
			g.mu.Lock()
			g.c = c
			g.mu.Unlock()
			close(g.dialed)
			return
		}
		if ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		g.dialErr = err
		g.mu.Unlock()
		g.log.Warn("broker unreachable, dialling again", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// client is the live client, or ErrBrokerUnreachable before the first
// dial succeeded, with why the last dial failed (a login refused, say).
func (g *Gateway) client() (*mqmanager.Client, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.c != nil:
		return g.c, nil
	case g.dialErr != nil:
		return nil, fmt.Errorf("%w: the gateway has not reached the broker yet: %v", mqmanager.ErrBrokerUnreachable,
			strings.TrimPrefix(g.dialErr.Error(), mqmanager.ErrBrokerUnreachable.Error()+": "))
	}
	return nil, fmt.Errorf("%w: the gateway has not reached the broker yet", mqmanager.ErrBrokerUnreachable)
}

// unlinked is why the gateway's client cannot reach the broker now (not
// dialled yet, or its link lost and not yet dialled again), or nil when it
// has a link (which may be dead and not yet known to be).
func (g *Gateway) unlinked() error {
	c, err := g.client()
	if err != nil {
		return err
	}
	if c.Node() == "" {
		return fmt.Errorf("%w: the gateway's link to the broker is lost", mqmanager.ErrBrokerUnreachable)
	}
	return nil
}

func (g *Gateway) closeClient() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.c != nil {
		g.c.Close()
		g.c = nil
	}
}
