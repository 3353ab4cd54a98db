package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// The outcomes of a request through the gateway, as the "outcome" field of
// its answer and the metrics' outcome label.
const (
	OutcomeOK          = "ok"
	OutcomeErrorReply  = "error_reply"
	OutcomeNoFixture   = "no_fixture"
	OutcomeTimeout     = "timeout"
	OutcomeUnreachable = "broker_unreachable"
	OutcomeRaw         = "raw"
	OutcomeCancelled   = "cancelled"
	OutcomeInternal    = "internal"
)

// codeStatus is the HTTP status of an error reply, by its code: the
// caller's mistakes are 4xx, the fixture's trouble 502. A code not listed
// (a newer manager's) is 502 too. docs/http.md has this table.
var codeStatus = map[string]int{
	jigapi.CodeBadRequest:    http.StatusBadRequest,
	jigapi.CodeUnknownMethod: http.StatusNotImplemented,
	jigapi.CodeTooLarge:      http.StatusRequestEntityTooLarge,
	jigapi.CodeBusy:          http.StatusTooManyRequests,
	jigapi.CodeForbidden:     http.StatusForbidden,
	jigapi.CodeLocked:        http.StatusConflict,
	jigapi.CodeNotLocked:     http.StatusConflict,
}

// answer is the body of every answer of a fixture method.
type answer struct {
	OK      bool            `json:"ok"`
	Serial  string          `json:"serial"`
	Method  string          `json:"method"`
	Outcome string          `json:"outcome"`
	Result  any             `json:"result,omitempty"`
	Raw     json.RawMessage `json:"raw,omitempty"` // a legacy manager's reply, as it came (a JSON string if it was not JSON)
	Error   *apiError       `json:"error,omitempty"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classify maps a request's error to its HTTP status and answer.
func classify(err error, a *answer) int {
	var re *mqmanager.RemoteError
	var raw *mqmanager.RawReplyError
	switch {
	case err == nil:
		a.OK, a.Outcome = true, OutcomeOK
		return http.StatusOK
	case errors.As(err, &raw):
		a.OK, a.Outcome, a.Raw = true, OutcomeRaw, rawJSON(raw.Reply.Body)
		return http.StatusOK
	case errors.As(err, &re):
		a.Outcome, a.Error = OutcomeErrorReply, &apiError{Code: re.Code, Message: re.Message}
		if s, ok := codeStatus[re.Code]; ok {
			return s
		}
		return http.StatusBadGateway
	}
	status := http.StatusInternalServerError
	a.Outcome = OutcomeInternal
	switch {
	case errors.Is(err, mqmanager.ErrNoFixture):
		a.Outcome, status = OutcomeNoFixture, http.StatusNotFound
	case errors.Is(err, mqmanager.ErrTimeout):
		a.Outcome, status = OutcomeTimeout, http.StatusGatewayTimeout
	case errors.Is(err, mqmanager.ErrBrokerUnreachable):
		a.Outcome, status = OutcomeUnreachable, http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		a.Outcome, status = OutcomeCancelled, 499 // the HTTP caller went away; nobody reads this
	}
	a.Error = &apiError{Code: a.Outcome, Message: err.Error()}
	return status
}

func rawJSON(b []byte) json.RawMessage {
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// writeJSON answers v as indented JSON. The body is encoded and indented
// into pooled buffers (indentJSON: encoding/json's own indentation was
// most of this function's time), then written at once with its
// Content-Length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	e := jsonWriters.Get().(*jsonWriter)
	defer e.release()
	e.enc.Encode(v)
	e.out = indentJSON(e.out[:0], e.buf.Bytes())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(e.out)))
	w.WriteHeader(status)
	w.Write(e.out)
}

type jsonWriter struct {
	buf bytes.Buffer // compact, from enc
	enc *json.Encoder
	out []byte // indented
}

var jsonWriters = sync.Pool{New: func() any {
	e := &jsonWriter{}
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// maxPooled bounds the buffers kept for reuse: an answer with a large
// result (a fleet of thousands) is let go rather than held.
const maxPooled = 64 << 10

func (e *jsonWriter) release() {
	if e.buf.Cap() > maxPooled || cap(e.out) > 2*maxPooled {
		return
	}
	e.buf.Reset()
	jsonWriters.Put(e)
}
