package mqmanager

import (
	"encoding/json"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// encodedResult is a handler's result already encoded by json.Marshal, so
// compact and valid JSON: a reply carries it as it is. The compute lane
// encodes its results on the compute thread (see server_niced.go), because
// encoding a large result is compute work too: Fib(10^6)'s 209 KB of
// digits take milliseconds.
type encodedResult []byte

// encodeReply builds the reply body for a handler's outcome.
func encodeReply(serial, method string, result any, err error, elapsed time.Duration) []byte {
	env := envelope{OK: err == nil, Serial: serial, Method: method,
		ElapsedMS: float64(elapsed.Microseconds()) / 1000}
	if err != nil {
		env.Error = wireErrorOf(err)
	} else if raw, merr := encodeResult(result); merr != nil {
		env.OK = false
		env.Error = &wireError{Code: jigapi.CodeInternal, Message: "encode result: " + merr.Error()}
	} else {
		return withResult(env, raw)
	}
	body, _ := json.Marshal(env) // cannot fail: every field is plain data
	return body
}

// encodeResult is the JSON of a handler's result.
func encodeResult(result any) ([]byte, error) {
	if r, ok := result.(encodedResult); ok {
		return r, nil
	}
	return json.Marshal(result)
}

// withResult is json.Marshal(env) with env.Result = raw, byte for byte, but
// without json.Marshal's pass over raw: it validates and compacts a
// json.RawMessage again, one byte at a time through its scanner, which was
// 3 of the 5 ms of a Fib(10^6) reply's encoding. raw is json.Marshal's
// output, already compact and valid.
func withResult(env envelope, raw []byte) []byte {
	head, _ := json.Marshal(envelopeHead{OK: env.OK, Serial: env.Serial, Method: env.Method})
	elapsed, _ := json.Marshal(env.ElapsedMS)
	const result, elapsedKey = `,"result":`, `,"elapsed_ms":`
	body := make([]byte, 0, len(head)+len(result)+len(raw)+len(elapsedKey)+len(elapsed))
	body = append(body, head[:len(head)-1]...) // without its closing brace
	body = append(body, result...)
	body = append(body, raw...)
	body = append(body, elapsedKey...)
	body = append(body, elapsed...)
	return append(body, '}')
}

// envelopeHead is the envelope's fields before its result, in its order.
type envelopeHead struct {
	OK     bool   `json:"ok"`
	Serial string `json:"serial"`
	Method string `json:"method"`
}
