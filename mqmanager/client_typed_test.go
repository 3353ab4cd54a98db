package mqmanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// twoPass is what a typed call returned before decodeResult: the reply's
// envelope, then its result.
func twoPass[R any](serial, method string, body []byte) (R, error) {
	r, err := decodeReply(serial, method, body)
	if err != nil {
		var zero R
		return zero, err
	}
	return ResultOf[R](r)
}

// FuzzDecodeResult: the one-pass decode of a typed call's reply gives
// exactly the two-pass outcome, for any body: the same result, or an error
// of the same kind and text (a remote error, a raw reply, a result that
// does not decode). One known difference: an envelope that gives its
// result twice (keys match case-insensitively) has the two merged in one
// pass and the last taken in two; no manager sends that.
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{
		`{"ok":true,"serial":"JIG-1","method":"Ping","result":{"serial":"JIG-1","version":"v1","uptime_s":1.5,"connected":true},"elapsed_ms":0.1}`,
		`{"ok":true,"serial":"JIG-1","method":"Ping","result":null,"elapsed_ms":0.1}`,
		`{"ok":true,"result":{"serial":"JIG-1","lease":{"owner":"station-3"}}}`,
		`{"ok":true,"serial":"JIG-1","method":"Ping","elapsed_ms":0.1}`,
		`{"ok":true,"serial":"JIG-1","method":"Ping","result":{"uptime_s":"long"}}`,
		`{"ok":true,"serial":5,"result":{"serial":"JIG-1"}}`,
		`{"ok":false,"serial":"JIG-1","method":"Ping","error":{"code":"busy","message":"later"}}`,
		`{"ok":false,"error":{}}`,
		`{"OK":true,"Result":{"Serial":"JIG-2"}}`,
		`{"ok":true,"result":{"serial":"A"},"Result":{"version":"v"}}`,
		`832040`, `not json`, ``, `{}`, `[]`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gerr := decodeResult[jigapi.PingResult]("JIG-1", "Ping", body)
		want, werr := twoPass[jigapi.PingResult]("JIG-1", "Ping", body)
		if fmt.Sprintf("%T %v", gerr, gerr) != fmt.Sprintf("%T %v", werr, werr) {
			t.Fatalf("body %q: error %T %v, two-pass %T %v", body, gerr, gerr, werr, werr)
		}
		if gerr == nil && !reflect.DeepEqual(got, want) && !resultKeyTwice(body) {
			t.Fatalf("body %q: result %+v, two-pass %+v", body, got, want)
		}
	})
}

// resultKeyTwice reports whether body is an object with its "result" key
// (any case) more than once at the top level.
func resultKeyTwice(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false
	}
	seen := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if key, _ := k.(string); strings.EqualFold(key, "result") {
			seen++
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return seen > 1
}
