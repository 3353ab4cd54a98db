package mqmanager

import (
	"encoding/json"
	"fmt"
)

// Reply is a manager's answer as a Client returns it.
type Reply struct {
	Serial    string          // who answered (from the envelope; for a raw reply, whom we asked)
	Method    string          // the method asked
	Result    json.RawMessage // the result object; for a raw reply, the body if it is JSON, else nil
	ElapsedMS float64         // the manager's handling time
	Raw       bool            // the body was not this contract's envelope (an older manager)
	Body      []byte          // the body as received
}

// replyEnvelope is a manager's reply envelope as a client reads it, its
// result held as T: a json.RawMessage (decodeReply), or a pointer to the
// typed result (decodeResult, which must accept exactly what decodeReply
// does).
type replyEnvelope[T any] struct {
	OK        *bool      `json:"ok"`
	Serial    string     `json:"serial"`
	Method    string     `json:"method"`
	Result    T          `json:"result"`
	Error     *wireError `json:"error"`
	ElapsedMS float64    `json:"elapsed_ms"`
}

// decodeReply turns a reply body into a Reply, or a *RemoteError for an error
// envelope. A body that is not the envelope is passed through as Raw.
func decodeReply(serial, method string, body []byte) (*Reply, error) {
	var env replyEnvelope[json.RawMessage]
	if json.Unmarshal(body, &env) != nil || env.OK == nil || (!*env.OK && (env.Error == nil || env.Error.Code == "")) {
		return rawReply(serial, method, body), nil
	}
	if env.Serial != "" {
		serial = env.Serial
	}
	if env.Method != "" {
		method = env.Method
	}
	if !*env.OK {
		return nil, &RemoteError{Serial: serial, Method: method, Code: env.Error.Code, Message: env.Error.Message}
	}
	return &Reply{Serial: serial, Method: method, Result: env.Result, ElapsedMS: env.ElapsedMS, Body: body}, nil
}

func rawReply(serial, method string, body []byte) *Reply {
	r := &Reply{Serial: serial, Method: method, Raw: true, Body: body}
	if json.Valid(body) {
		r.Result = json.RawMessage(body)
	}
	return r
}

func (r *Reply) String() string {
	if r.Raw {
		return fmt.Sprintf("%s %s (raw): %s", r.Serial, r.Method, r.Body)
	}
	return fmt.Sprintf("%s %s: %s", r.Serial, r.Method, r.Result)
}
