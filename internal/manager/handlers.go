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
	"github.com/jigmq/jigmq/mqmanager"
)

// handlers answers the contract's methods for one fixture.
type handlers struct {
	serial  string
	version string
	host    string
	start   time.Time
	maxN    int
	dev     *jig.Device
	srv     *mqmanager.Server
}

func newHandlers(serial, version string, maxN int, dev *jig.Device) *handlers {
	host, _ := os.Hostname()
	return &handlers{serial: serial, version: version, host: host, start: time.Now(), maxN: maxN, dev: dev}
}

func (h *handlers) register(s *mqmanager.Server) {
	h.srv = s
	s.Handle("JigStatus", mqmanager.HandlerFunc(h.jigStatus))
	// Fib is compute-bound: on the server's compute lane, so that it never
	// delays a status read, and not on broadcasts, which would have every
	// manager compute it.
	s.Handle("Fib", mqmanager.HandlerFunc(h.fib), mqmanager.Compute(), mqmanager.NotOnBroadcast())
	s.Handle("Ping", mqmanager.HandlerFunc(h.ping))
	s.Handle("Stats", mqmanager.HandlerFunc(h.stats))
}

// noArgs checks that a request for a method without arguments has none.
func noArgs(r *mqmanager.Request) error {
	var none struct{}
	return r.Decode(&none)
}

func (h *handlers) jigStatus(ctx context.Context, r *mqmanager.Request) (any, error) {
	if err := noArgs(r); err != nil {
		return nil, err
	}
	st, err := h.dev.Status(ctx)
	if err != nil {
		return nil, statusError(err)
	}
	return st, nil
}

// statusError maps a status read's failure to the contract's codes.
func statusError(err error) error {
	var fe *jig.FixtureError
	switch {
	case errors.Is(err, jig.ErrUnavailable):
		return mqmanager.Errorf(mqmanager.CodeSerialUnavailable, "%v", err)
	case errors.Is(err, jig.ErrTimeout):
		return mqmanager.Errorf(mqmanager.CodeSerialTimeout, "%v", err)
	case errors.As(err, &fe):
		return mqmanager.Errorf(mqmanager.CodeFixtureError, "%v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return mqmanager.Errorf(mqmanager.CodeSerialTimeout, "status read did not finish by the request's deadline")
	}
	return err
}

// FibResult is the Fib method's result; the value is a decimal string since
// it is a big integer.
type FibResult struct {
	N     int    `json:"n"`
	Value string `json:"value"`
}

func (h *handlers) fib(ctx context.Context, r *mqmanager.Request) (any, error) {
	var args struct {
		N *int `json:"n"`
	}
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if args.N == nil {
		return nil, mqmanager.Errorf(mqmanager.CodeBadRequest, `missing "n"`)
	}
	v, err := h.compute(ctx, *args.N)
	if err != nil {
		return nil, err
	}
	return FibResult{N: *args.N, Value: v}, nil
}

// compute checks n and returns F(n) in decimal. The server runs it on its
// compute lane (Compute), which bounds how many run at once.
func (h *handlers) compute(ctx context.Context, n int) (string, error) {
	if err := fib.Check(n, h.maxN); err != nil {
		return "", mqmanager.Errorf(mqmanager.CodeBadRequest, "%v", err)
	}
	return fib.Decimal(ctx, n)
}

// PingResult is the Ping method's result.
type PingResult struct {
	Serial    string  `json:"serial"`
	Version   string  `json:"version"`
	UptimeS   float64 `json:"uptime_s"`
	Port      string  `json:"port"`
	Connected bool    `json:"connected"`
	Host      string  `json:"host"`
	Node      string  `json:"node"` // the broker node served from (host:port), "" between links
}

func (h *handlers) ping(_ context.Context, r *mqmanager.Request) (any, error) {
	if err := noArgs(r); err != nil {
		return nil, err
	}
	return PingResult{Serial: h.serial, Version: h.version, UptimeS: time.Since(h.start).Seconds(),
		Port: h.dev.Port(), Connected: h.dev.Connected(), Host: h.host, Node: h.srv.Node()}, nil
}

// StatsResult is the Stats method's result.
type StatsResult struct {
	Serial  string                `json:"serial"`
	UptimeS float64               `json:"uptime_s"`
	Server  mqmanager.ServerStats `json:"server"`
	Fixture FixtureStats          `json:"fixture"`
}

// FixtureStats are the serial side's counters.
type FixtureStats struct {
	Connected      bool      `json:"connected"`
	Reads          uint64    `json:"reads"`
	CoalescedReads uint64    `json:"coalesced_reads"`
	Reconnects     uint64    `json:"reconnects"`
	Errors         uint64    `json:"errors"`
	LastReadAt     time.Time `json:"last_read_at,omitzero"`
}

func (h *handlers) stats(_ context.Context, r *mqmanager.Request) (any, error) {
	if err := noArgs(r); err != nil {
		return nil, err
	}
	ds := h.dev.Stats()
	return StatsResult{Serial: h.serial, UptimeS: time.Since(h.start).Seconds(), Server: h.srv.Stats(),
		Fixture: FixtureStats{Connected: h.dev.Connected(), Reads: ds.Reads, CoalescedReads: ds.CoalescedReads,
			Reconnects: ds.Reconnects, Errors: ds.Errors, LastReadAt: ds.LastReadAt}}, nil
}

// tutorial answers the classic RPC tutorial: an ASCII integer n in, F(n) in
// decimal out.
func (h *handlers) tutorial(ctx context.Context, body []byte) ([]byte, error) {
	n, err := strconv.Atoi(strings.TrimSpace(string(body)))
	if err != nil {
		return nil, mqmanager.Errorf(mqmanager.CodeBadRequest, "body must be an integer, got %q", truncate(body, 32))
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
