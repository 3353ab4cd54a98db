package manager

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jigmq/jigmq/fib"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// handlers answers the contract's methods for one fixture: one function
// per method of jigapi, from its argument type to its result type.
type handlers struct {
	serial  string
	version string
	host    string
	start   time.Time
	maxN    int
	dev     *jig.Device
	srv     *mqmanager.Server
	leasing // Query and the lease methods: query.go, lease.go
	// observe is told every status read's outcome (the events' state).
	observe func(jig.Status, error)
}

func newHandlers(serial, version string, maxN int, dev *jig.Device) *handlers {
	host, _ := os.Hostname()
	return &handlers{serial: serial, version: version, host: host, start: time.Now(), maxN: maxN, dev: dev,
		observe: func(jig.Status, error) {}}
}

// register serves every method of the contract on s. Fib's contract
// properties (compute-bound, not on broadcasts) put it on the server's
// compute lane, so it never delays a status read.
func (h *handlers) register(s *mqmanager.Server) {
	h.srv = s
	mqmanager.Handle(s, jigapi.JigStatus, h.jigStatus)
	mqmanager.Handle(s, jigapi.Fib, h.fib)
	mqmanager.Handle(s, jigapi.Ping, h.ping)
	mqmanager.Handle(s, jigapi.Stats, h.stats)
	mqmanager.Handle(s, jigapi.Query, h.query)
	mqmanager.Handle(s, jigapi.Lock, h.lock)
	mqmanager.Handle(s, jigapi.Renew, h.renew)
	mqmanager.Handle(s, jigapi.Unlock, h.unlock)
	mqmanager.Handle(s, jigapi.ForceUnlock, h.forceUnlock)
	mqmanager.Handle(s, jigapi.Echo, h.echo)
}

func (h *handlers) jigStatus(ctx context.Context, _ jigapi.NoArgs) (jigapi.Status, error) {
	bctx, cancel := boardDeadline(ctx)
	defer cancel()
	st, err := h.dev.Status(bctx)
	if late := boardLate(ctx, err); late != nil {
		return jigapi.Status{}, late // the read goes on, for the requests after
	}
	if err == nil || bctx.Err() == nil || !errors.Is(err, bctx.Err()) {
		h.observe(st, err) // a request that gave up says nothing of the board
	}
	if err != nil {
		return jigapi.Status{}, jigapi.BoardError(err)
	}
	res := jigapi.StatusOf(st)
	res.BeganBeforeMS = beganBefore(ctx, st)
	res.Lease = h.leases.Holder()
	return res, nil
}

func (h *handlers) fib(ctx context.Context, a jigapi.FibArgs) (jigapi.FibResult, error) {
	if a.N == nil {
		return jigapi.FibResult{}, jigapi.Errorf(jigapi.CodeBadRequest, `missing "n"`)
	}
	v, err := h.compute(ctx, *a.N)
	if err != nil {
		return jigapi.FibResult{}, err
	}
	return jigapi.FibResult{N: *a.N, Value: v}, nil
}

// compute checks n and returns F(n) in decimal. The server runs it on its
// compute lane, which bounds how many run at once.
func (h *handlers) compute(ctx context.Context, n int) (string, error) {
	if err := fib.Check(n, h.maxN); err != nil {
		return "", jigapi.Errorf(jigapi.CodeBadRequest, "%v", err)
	}
	return fib.Decimal(ctx, n)
}

func (h *handlers) ping(context.Context, jigapi.NoArgs) (jigapi.PingResult, error) {
	return jigapi.PingResult{Serial: h.serial, Version: h.version, UptimeS: time.Since(h.start).Seconds(),
		Port: h.dev.Port(), Connected: h.dev.Connected(), Host: h.host, Node: h.srv.Node(), Lease: h.leases.Holder()}, nil
}

func (h *handlers) stats(context.Context, jigapi.NoArgs) (jigapi.StatsResult, error) {
	return jigapi.StatsResult{Serial: h.serial, UptimeS: time.Since(h.start).Seconds(), Server: h.srv.Stats(),
		Fixture: jigapi.FixtureStats{Connected: h.dev.Connected(), Stats: h.dev.Stats()}}, nil
}

// tutorial answers the classic RPC tutorial: an ASCII integer n in, F(n) in
// decimal out.
func (h *handlers) tutorial(ctx context.Context, body []byte) ([]byte, error) {
	n, err := strconv.Atoi(strings.TrimSpace(string(body)))
	if err != nil {
		return nil, jigapi.Errorf(jigapi.CodeBadRequest, "body must be an integer, got %q", truncate(body, 32))
	}
	v, err := h.compute(ctx, n)
	return []byte(v), err
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// beganBefore is how long before the request reached the manager its
// status read began, in ms: more than 0 only for a read already in flight
// that the request shared (jig.Device.Status), whose answers may predate
// the request.
func beganBefore(ctx context.Context, st jig.Status) float64 {
	req := mqmanager.RequestOf(ctx)
	if req == nil || !st.ReadAt.Before(req.Received) {
		return 0
	}
	return float64(req.Received.Sub(st.ReadAt).Microseconds()) / 1000
}
