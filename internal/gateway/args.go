package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/jigmq/jigmq/jigapi"
)

// argsOf is the request's arguments: none for GET (only methods without
// arguments), a JSON object of at most maxArgs bytes for POST, arrived
// within g.requestTimeout (httpServer); an empty body is no arguments.
func (g *Gateway) argsOf(r *http.Request, m jigapi.Info) (json.RawMessage, *refusal) {
	if r.Method == http.MethodGet {
		if postOnly(m) {
			return nil, refuse(RefusedMethodNotAllowed, m.Name+" changes the fixture: POST it")
		}
		if m.Args.NumField() > 0 {
			return nil, refuse(RefusedBadArguments, m.Name+" takes arguments: POST them as a JSON object")
		}
		return json.RawMessage("{}"), nil
	}
	body, rf := g.readBody(r)
	if rf != nil {
		return nil, rf
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return json.RawMessage("{}"), nil
	}
	if err := checkObject(body); err != nil {
		return nil, refuse(RefusedBadArguments, err.Error())
	}
	return body, nil
}

// readBody reads a request's body, refusing one over maxArgs or late.
func (g *Gateway) readBody(r *http.Request) ([]byte, *refusal) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxArgs))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, refuse(RefusedTooLarge, fmt.Sprintf("the body is over %d bytes", tooLarge.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, refuse(RefusedBodyTimeout, fmt.Sprintf("the request did not arrive whole within %v", g.requestTimeout))
	case err != nil:
		return nil, refuse(RefusedBadArguments, "body: "+err.Error())
	}
	return body, nil
}

// checkObject reports what a body that is not one JSON object is, in the
// caller's words rather than encoding/json's (which names Go types). Any
// other JSON value is refused alike: null too, which would decode as no
// object at all and reach the manager as it is.
func checkObject(body []byte) error {
	var obj map[string]json.RawMessage
	err := json.Unmarshal(body, &obj)
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("the body is not JSON: %v (at byte %d)", err, syntax.Offset)
	case err != nil || obj == nil:
		return fmt.Errorf(`the body is %s: the arguments must be a JSON object, such as {"n": 90}`, jsonKind(body))
	}
	return nil
}

// jsonKind names the JSON value body holds, valid and not an object.
func jsonKind(body []byte) string {
	switch bytes.TrimSpace(body)[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// noArgs reports whether args (a JSON object) is empty.
func noArgs(args json.RawMessage) bool {
	if string(args) == "{}" {
		return true
	}
	var obj map[string]json.RawMessage
	return json.Unmarshal(args, &obj) == nil && len(obj) == 0
}
