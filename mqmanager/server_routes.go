package mqmanager

import (
	"context"

	"github.com/jigmq/jigmq/jigapi"
)

// route is a registered method: its handler and its options.
type route struct {
	h           Handler
	noBroadcast bool
	compute     bool
}

// HandleOption is a per-method option of Server.Handle.
type HandleOption func(*route)

// NotOnBroadcast refuses the method on the broadcast serial: a request for
// it that arrived on "_all.Req.<Method>" gets a bad_request reply from each
// manager (a broadcast caller collects every manager's answer, so each says
// why) and is never run. For methods that cost each manager real work, or
// that only make sense for one fixture.
func NotOnBroadcast() HandleOption { return func(r *route) { r.noBroadcast = true } }

// Compute marks the method compute-bound: its requests run on the compute
// lane (ServerConfig.ComputeSlots, ComputeQueue), never in the general
// Concurrency slots, so the other methods are never queued behind them,
// and each on an OS thread of its own at nice ComputeNice, where its result
// is also encoded, so that the kernel runs the others first (where a
// seccomp filter refuses setpriority, at the process's priority, logged
// once). A request that finds the lane full gets a busy reply at once; one
// that finds no slot before its deadline is not answered (its caller is
// gone).
func Compute() HandleOption { return func(r *route) { r.compute = true } }

// Handle registers h for method, with its options. Call it before Run.
func (s *Server) Handle(method string, h Handler, opts ...HandleOption) {
	r := route{h: h}
	for _, o := range opts {
		o(&r)
	}
	s.routes[method] = r
}

// computeBound reports whether req is to run on the compute lane: a
// Compute method's request that passed the checks that need no handler.
func (s *Server) computeBound(req *Request) bool {
	r, ok := s.routes[req.Method]
	return ok && r.compute && s.refusal(req) == nil
}

// refusal is the error reply a request gets without running, or nil.
func (s *Server) refusal(req *Request) error {
	if err := s.sizeRefusal(req); err != nil {
		return err
	}
	r, ok := s.routes[req.Method]
	if !ok {
		return jigapi.Errorf(jigapi.CodeUnknownMethod, "unknown method %q", req.Method)
	}
	if r.noBroadcast && req.Serial == Broadcast {
		return jigapi.Errorf(jigapi.CodeBadRequest, "%s is not served on the %s broadcast: ask one fixture (%s)",
			req.Method, Broadcast, RoutingKey("<serial>", req.Method))
	}
	return nil
}

// call runs req's handler; a Compute method's first waits for a compute
// slot, until ctx ends, then runs on a compute thread (runCompute).
func (ss *session) call(ctx context.Context, req *Request) (any, error) {
	r := ss.s.routes[req.Method]
	if r.compute {
		release, ok := ss.lanes.computeSlot(ctx)
		if !ok {
			return nil, jigapi.Errorf(jigapi.CodeBusy, "no compute slot free before the deadline (%d slots)", ss.s.cfg.ComputeSlots)
		}
		defer release()
		return ss.s.runCompute(ctx, req, r.h)
	}
	return r.h.Handle(ctx, req)
}
