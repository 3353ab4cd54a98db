package gateway

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jig/sim"
)

// shortRequests is a gateway whose requests must arrive whole within
// 300 ms (requestTimeout), so that a test sees the bound quickly.
func shortRequests(t *testing.T) *gw {
	return startGatewayWith(t, nil, func(g *Gateway) { g.requestTimeout = 300 * time.Millisecond })
}

// TestSlowBodyCut: a POST whose body trickles in (Content-Length 1000, a
// byte every 20 ms: the tester's case, faster) is answered 408
// body_timeout once the request's time to arrive is over, and its
// connection closed. It used to stay open as long as the client went on.
func TestSlowBodyCut(t *testing.T) {
	g := shortRequests(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(g.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "POST /api/v1/fixtures/X-1/fib HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000\r\n\r\n{")
	trickle := time.NewTicker(20 * time.Millisecond) // the client's pace: the scenario
	defer trickle.Stop()
	go func() {
		for range trickle.C {
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a body trickling in, within 5s: %v", err)
	}
	var a struct{ Error apiError }
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &a); err != nil || resp.StatusCode != http.StatusRequestTimeout || a.Error.Code != RefusedBodyTimeout {
		t.Errorf("a body trickling in: %d %s, want 408 %s", resp.StatusCode, b, RefusedBodyTimeout)
	}
	if _, err := br.ReadByte(); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Error("the connection is still open after the answer")
	}
}

// TestLongAnswersOutliveRequestTimeout: the bound is on receiving a
// request, not on answering it: an event stream goes on delivering after
// it, and a POST whose body came at once, answered after it (a board
// slower than that), gets its answer.
func TestLongAnswersOutliveRequestTimeout(t *testing.T) {
	f := startFixtureOn(t, sim.Config{Delay: 200 * time.Millisecond})
	g := shortRequests(t)
	s := openStream(t, g.base)
	opened := time.Now()
	for time.Since(opened) < 3*g.requestTimeout { // heartbeats every 200 ms
		select {
		case _, ok := <-s.c:
			if !ok {
				t.Fatalf("the stream ended after %v", time.Since(opened))
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no fixture event on the stream within 5s")
		}
	}
	var a answer
	start := time.Now()
	if st := g.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/status?timeout=5s", "{}", &a); st != 200 || !a.OK {
		t.Errorf("a POST answered after %v: %d %+v", time.Since(start), st, a)
	}
	if d := time.Since(start); d < g.requestTimeout {
		t.Errorf("the read took %v only, within the bound: not a test of it", d)
	}
}
