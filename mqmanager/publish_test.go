package mqmanager

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
)

// wedge returns a request body larger than every socket buffer between
// the client and a frozen proxy (a few MiB each on Linux loopback), so that
// publishing it blocks amqp091-go's writer.
func wedge() []byte { return bytes.Repeat([]byte("x"), 64<<20) }

type outcome struct {
	err  error
	took time.Duration
}

// requestAsync sends a request with deadline d; its outcome and duration
// arrive on the returned channel.
func requestAsync(c *Client, serial string, body any, d time.Duration) <-chan outcome {
	out := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		start := time.Now()
		_, err := c.Request(ctx, serial, "Echo", body)
		out <- outcome{err, time.Since(start)}
	}()
	return out
}

// wantOutcome waits (at most 30 s) for o and checks its error and duration.
func wantOutcome(t *testing.T, what string, o <-chan outcome, want error, within time.Duration) {
	t.Helper()
	select {
	case got := <-o:
		if !errors.Is(got.err, want) || got.took > within {
			t.Fatalf("%s: %v after %v; want %v within %v", what, got.err, got.took, want, within)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: no outcome within 30s", what)
	}
}

// TestPublishHonoursDeadline: on a link whose peer stopped reading, a big
// publish blocks amqp091-go's writer and the publishes after it wait
// behind it. Their callers still return by their deadlines, as timeouts. A
// request pending since before the freeze ends as unreachable as soon as
// the client's heartbeat declares the link dead (amqp091-go's shutdown
// waits for the wedged writer; the client closes the socket under it). The
// next request after the route is back is answered.
func TestPublishHonoursDeadline(t *testing.T) {
	// The link is declared dead 1.5 heartbeats after the last frame the
	// client read, so at least one heartbeat after the freeze (the broker
	// sends a frame every half heartbeat): deadline is well before that. A
	// 1 s heartbeat let a loaded machine (the broker's frames late by over
	// 1.5 s) kill the link before the freeze, so that the big request
	// dialled anew through the frozen proxy: 2 s.
	const hb, deadline = 2 * time.Second, 400 * time.Millisecond
	// Slack over the deadline: scheduling under -race on busy cores.
	const slack = 700 * time.Millisecond
	for _, mode := range allModes {
		// A server per mode: the previous mode's long handler runs on to
		// its deadline, and its end must not be taken for this one's start.
		srv := startServer(t, func(c *ServerConfig) { c.ShutdownGrace = 50 * time.Millisecond })
		p, url := testutil.NewProxy(t, testURL())
		c := dialNamed(t, url, mode, "", hb)
		wantAnswered(t, mode.String()+" before", c, srv.serial)
		long := requestAsync(c, srv.serial, echoArgs{Sleep: "30s"}, 20*time.Second)
		waitFor(t, func() bool { return srv.Stats().InFlight == 1 })
		p.Freeze()
		big := requestAsync(c, srv.serial, wedge(), deadline)
		small := requestAsync(c, srv.serial, nil, deadline)
		wantOutcome(t, mode.String()+" big", big, ErrTimeout, deadline+slack)
		wantOutcome(t, mode.String()+" small", small, ErrTimeout, deadline+slack)
		// amqp091-go gives up on a silent link after 1.5 heartbeats.
		wantOutcome(t, mode.String()+" pending", long, ErrBrokerUnreachable, hb*3/2+3*time.Second)
		p.Thaw()
		wantAnswered(t, mode.String()+" after", c, srv.serial)
		closeWithin(t, c, 2*closeGrace)
	}
}

// TestCloseWedgedLink: Close returns promptly, having waited for every
// goroutine of the client, while a publish is wedged on a live link whose
// peer stopped reading.
func TestCloseWedgedLink(t *testing.T) {
	srv := startServer(t, nil)
	for _, mode := range []ReplyMode{ReplyShared, ReplyDirect} {
		p, url := testutil.NewProxy(t, testURL())
		c := dialNamed(t, url, mode, "", 0) // 5 s heartbeat: the link stays up
		wantAnswered(t, mode.String()+" before", c, srv.serial)
		p.Freeze()
		wantOutcome(t, mode.String()+" big", requestAsync(c, srv.serial, wedge(), 300*time.Millisecond),
			ErrTimeout, time.Second)
		closeWithin(t, c, closeGrace+time.Second)
		p.Close()
	}
}

// TestShortLivedCloseFrozenLink: a ShortLived client (a jigctl run) whose
// link stopped answering after its outcome closes within
// shortLivedCloseGrace, not the long-lived client's closeGrace: the
// process exits about when its outcome is known.
func TestShortLivedCloseFrozenLink(t *testing.T) {
	srv := startServer(t, nil)
	for _, mode := range []ReplyMode{ReplyPerRequest, ReplyDirect} {
		p, url := testutil.NewProxy(t, testURL())
		c, err := Dial(ctxTimeout(t, 5*time.Second), ClientConfig{Broker: Broker{URLs: []string{url}},
			ReplyMode: mode, AppID: "mqmanager-test", ShortLived: true})
		if err != nil {
			t.Fatal(err)
		}
		wantAnswered(t, mode.String()+" before", c, srv.serial)
		p.Freeze()
		wantOutcome(t, mode.String()+" frozen", requestAsync(c, srv.serial, nil, 300*time.Millisecond),
			ErrTimeout, time.Second)
		closeWithin(t, c, closeGrace*3/4)
		p.Close()
	}
}

// TestDialWaitHonoursDeadline: while one caller dials through a route that
// swallows every byte (its handshake ends only at its deadline), another
// caller with a shorter deadline waits for it only until then, and its
// outcome is the dialling caller's: broker unreachable (nothing of its
// request reached the bus, and the broker has said nothing to the dial).
func TestDialWaitHonoursDeadline(t *testing.T) {
	srv := startServer(t, nil)
	p, url := testutil.NewProxy(t, testURL())
	c := dialNamed(t, url, ReplyDirect, "", 0)
	p.Stall(true)
	p.Cut()
	testutil.WaitFor(t, "link lost", 5*time.Second, func() bool { l, _ := c.live(); return l == nil })
	before := p.Accepted()
	slow := requestAsync(c, srv.serial, nil, 3*time.Second)
	testutil.WaitFor(t, "first caller dialling", 5*time.Second, func() bool { return p.Accepted() > before })
	wantOutcome(t, "second caller", requestAsync(c, srv.serial, nil, 300*time.Millisecond), ErrBrokerUnreachable,
		time.Second)
	wantOutcome(t, "dialling caller", slow, ErrBrokerUnreachable, 4*time.Second)
	p.Stall(false)
	wantAnswered(t, "after", c, srv.serial)
}

// closeWithin closes c and fails the test if Close (which waits for all of
// the client's goroutines) takes longer than d.
func closeWithin(t *testing.T, c *Client, d time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("Close still waiting after %v", d)
	}
}
