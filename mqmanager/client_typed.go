package mqmanager

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jigmq/jigmq/jigapi"
)

// RawReplyError is the outcome of a typed call answered by a reply that is
// not this contract's envelope (a manager that predates it): the manager
// answered, but not in a form the result type can hold. Reply.Body holds
// what it said. It is not a failure of the fixture; callers that show
// mixed fleets print it as a raw reply.
type RawReplyError struct{ Reply *Reply }

func (e *RawReplyError) Error() string {
	return fmt.Sprintf("%s %s: raw reply (not the jigmq envelope): %.200s", e.Reply.Serial, e.Reply.Method, e.Reply.Body)
}

// Call asks the manager of serial to run m with args, and decodes its
// result. The outcome is the result, or exactly one of the errors of
// Client.Request, or a *RawReplyError.
func Call[A, R any](ctx context.Context, c *Client, serial string, m jigapi.Method[A, R], args A) (R, error) {
	body, err := c.request(ctx, serial, m.Name(), args)
	if err != nil {
		var zero R
		return zero, err
	}
	return decodeResult[R](serial, m.Name(), body)
}

// decodeResult is decodeReply then resultOf in one pass over the body, for
// the common case: an ok envelope whose result decodes into R. Anything
// else (an error reply, a raw reply, a result that is null, missing or not
// an R) goes the two-pass way, which tells those cases apart.
func decodeResult[R any](serial, method string, body []byte) (R, error) {
	var env replyEnvelope[*R]
	if json.Unmarshal(body, &env) == nil && env.OK != nil && *env.OK && env.Result != nil {
		return *env.Result, nil
	}
	r, err := decodeReply(serial, method, body)
	if err != nil {
		var zero R
		return zero, err
	}
	return ResultOf[R](r)
}

// Gather broadcasts m with args to every manager ("_all") and calls each for
// every answer, with the serial that answered, until ctx ends or each
// returns false; see Client.Broadcast. m must be served on broadcasts.
func Gather[A, R any](ctx context.Context, c *Client, m jigapi.Method[A, R], args A,
	each func(serial string, r R, err error) bool) error {
	if !m.Info().Broadcast {
		return fmt.Errorf("mqmanager: %s is not served on the %s broadcast", m.Name(), Broadcast)
	}
	return c.Broadcast(ctx, m.Name(), args, func(r *Reply, err error) bool {
		if err != nil {
			var zero R
			return each(remoteSerial(err), zero, err)
		}
		res, err := ResultOf[R](r)
		return each(r.Serial, res, err)
	})
}

// ResultOf decodes the result of a reply (Client.Request's) into R: a raw
// reply is a *RawReplyError, a result that is not an R an error that says
// so. Call does this for a typed method; a caller that keeps the reply as
// it came and also wants its typed value uses it.
func ResultOf[R any](r *Reply) (R, error) {
	var res R
	if r.Raw {
		return res, &RawReplyError{Reply: r}
	}
	if err := json.Unmarshal(r.Result, &res); err != nil {
		return res, fmt.Errorf("%s %s: the reply's result does not decode: %w", r.Serial, r.Method, err)
	}
	return res, nil
}

// remoteSerial is the serial of an error reply, "" for any other error.
func remoteSerial(err error) string {
	if re, ok := err.(*RemoteError); ok {
		return re.Serial
	}
	return ""
}

// Status reads the fixture's status (jigapi.JigStatus).
func (c *Client) Status(ctx context.Context, serial string) (jigapi.Status, error) {
	return Call(ctx, c, serial, jigapi.JigStatus, jigapi.NoArgs{})
}

// Ping asks the manager of serial who it is (jigapi.Ping).
func (c *Client) Ping(ctx context.Context, serial string) (jigapi.PingResult, error) {
	return Call(ctx, c, serial, jigapi.Ping, jigapi.NoArgs{})
}

// Fib asks the manager of serial for F(n) (jigapi.Fib).
func (c *Client) Fib(ctx context.Context, serial string, n int) (jigapi.FibResult, error) {
	return Call(ctx, c, serial, jigapi.Fib, jigapi.FibOf(n))
}

// Stats asks the manager of serial for its counters (jigapi.Stats).
func (c *Client) Stats(ctx context.Context, serial string) (jigapi.StatsResult, error) {
	return Call(ctx, c, serial, jigapi.Stats, jigapi.NoArgs{})
}

// Discover broadcasts Ping and calls each for every manager's answer until
// ctx ends or each returns false: how the fleet is found.
func (c *Client) Discover(ctx context.Context, each func(serial string, p jigapi.PingResult, err error) bool) error {
	return Gather(ctx, c, jigapi.Ping, jigapi.NoArgs{}, each)
}
