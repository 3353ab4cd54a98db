package mqmanager

import (
	"context"

	"github.com/jigmq/jigmq/jigapi"
)

// Handle registers fn as the server's method m: the request's body is
// decoded strictly into m's argument type (Request.Decode), fn's result is
// the reply's result, and a *jigapi.Error it returns is an error reply
// with its code (any other error: internal). fn's context ends at the
// caller's deadline and carries the request (RequestOf). The method's
// properties in the contract become its options: one not served on
// broadcasts is NotOnBroadcast, a compute-bound one Compute. Register
// before Run.
func Handle[A, R any](s *Server, m jigapi.Method[A, R], fn func(ctx context.Context, args A) (R, error)) {
	var opts []HandleOption
	info := m.Info()
	if !info.Broadcast {
		opts = append(opts, NotOnBroadcast())
	}
	if info.Compute {
		opts = append(opts, Compute())
	}
	s.Handle(m.Name(), HandlerFunc(func(ctx context.Context, req *Request) (any, error) {
		var args A
		if err := req.Decode(&args); err != nil {
			return nil, err
		}
		return fn(withRequest(ctx, req), args)
	}), opts...)
}

type requestKey struct{}

func withRequest(ctx context.Context, req *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, req)
}

// RequestOf is the request a Handle function is answering (its serial,
// caller, deadline), or nil outside one.
func RequestOf(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}
