package gateway

import (
	"net/http"
	"strings"

	"github.com/jigmq/jigmq/jigapi"
)

// The codes of the requests the gateway refuses itself, before asking
// any fixture: the error.code of their answer ("outcome": "refused") and
// their outcome label in jig_gateway_requests_total. A fixed set, so the
// label's values stay bounded whatever the requests.
const (
	RefusedBadSerial        = "bad_serial"
	RefusedBadTimeout       = "bad_timeout"
	RefusedBadArguments     = "bad_arguments"
	RefusedTooLarge         = jigapi.CodeTooLarge // the body is over the gateway's limit: the manager's code for its own
	RefusedBodyTimeout      = "body_timeout"      // the body did not arrive in time
	RefusedUnknownMethod    = "unknown_method"
	RefusedUnknownFixture   = "unknown_fixture"
	RefusedNoRoute          = "no_route"
	RefusedMethodNotAllowed = "method_not_allowed"
	RefusedUnauthorized     = "unauthorized"
	RefusedWritesDisabled   = "writes_disabled"
	RefusedTooManyStreams   = "too_many_streams"
	RefusedInternal         = OutcomeInternal
)

// refusedStatus is the HTTP status of each refusal, by its code; a code
// the manager has too (too_large) has codeStatus's. docs/http.md lists
// them.
var refusedStatus = map[string]int{
	RefusedBadSerial: http.StatusBadRequest, RefusedBadTimeout: http.StatusBadRequest,
	RefusedBadArguments: http.StatusBadRequest, RefusedBodyTimeout: http.StatusRequestTimeout,
	RefusedUnknownMethod:  http.StatusNotFound,
	RefusedUnknownFixture: http.StatusNotFound, RefusedNoRoute: http.StatusNotFound,
	RefusedMethodNotAllowed: http.StatusMethodNotAllowed, RefusedUnauthorized: http.StatusUnauthorized,
	RefusedWritesDisabled: http.StatusForbidden, RefusedTooManyStreams: http.StatusServiceUnavailable,
	RefusedInternal: http.StatusInternalServerError,
}

func statusOfRefusal(code string) int {
	if s, ok := refusedStatus[code]; ok {
		return s
	}
	return codeStatus[code]
}

// refusal is a request the gateway refuses itself: its code (one of the
// Refused constants) and why; a refusal made from the fleet table carries
// what the table was as current as (its broker and at).
type refusal struct {
	code, msg string
	asOf      *asOf
}

func refuse(code, msg string) *refusal { return &refusal{code: code, msg: msg} }

// refuse answers a refusal and counts it by the method the path names
// (methodLabel) and its code.
func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, rf *refusal) {
	g.metrics.countRefused(methodLabel(r.URL.Path), rf.code)
	if rf.code == RefusedMethodNotAllowed {
		w.Header().Set("Allow", allowedMethods(r.URL.Path)) // what a 405 must name
	}
	body := map[string]any{"ok": false, "outcome": "refused", "error": apiError{Code: rf.code, Message: rf.msg}}
	if rf.asOf != nil {
		body["broker"], body["at"] = rf.asOf.Broker, rf.asOf.At
	}
	writeJSON(w, statusOfRefusal(rf.code), body)
}

// noMethod is the method label of a refused request whose path names no
// method of the contract: never the path's own word, so that the label's
// values stay the contract's.
const noMethod = "none"

// methodLabel is the contract's name of the method a fixture call's path
// names (/api/v1/fixtures/{serial}/{method}), noMethod for any other.
func methodLabel(path string) string {
	rest, ok := strings.CutPrefix(path, "/api/v1/fixtures/")
	seg := strings.Split(rest, "/")
	if !ok || len(seg) != 2 {
		return noMethod
	}
	if m, ok := methodOf(seg[1]); ok {
		return m.Name
	}
	return noMethod
}
