package mqmanager

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

type decodeArgs struct {
	N     *int             `json:"n"`
	Inner *struct{ A int } `json:"inner,omitempty"`
	Extra json.RawMessage  `json:"extra,omitempty"`
	Tags  map[string]int   `json:"tags,omitempty"`
}

// TestDecodeStrict: keys match exactly, once; everything else that
// encoding/json lets pass is a bad_request that says what is wrong.
func TestDecodeStrict(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"N": 10}`, `invalid JSON body: unknown field "N" (keys are case-sensitive: did you mean "n"?)`},
		{`{"n": 1, "n": 10}`, `invalid JSON body: key "n" given twice`},
		{`{"n": 1, "tags": {"a": 1, "a": 2}}`, `invalid JSON body: key "a" given twice`},
		{`{"n": 1, "extra": {"x": 1, "x": 2}}`, `invalid JSON body: key "x" given twice`},
		{`{"n": 1, "inner": {"a": 1}}`, `invalid JSON body: unknown field "a" (keys are case-sensitive: did you mean "A"?)`},
		{`{"n": 1, "x": 1}`, `invalid JSON body: json: unknown field "x"`},
		{"\xef\xbb\xbf{\"n\": 1}", `body starts with a UTF-8 byte-order mark; send JSON without it`},
		{`[1]`, `body must be a JSON object`},
		{`{"n": 1e30}`, `invalid JSON body: "n": number 1e30 is not an integer in range`},
		{`{"n": "5"}`, `invalid JSON body: "n": string is not an integer in range`},
		{`{"n": 1, "inner": {"A": true}}`, `invalid JSON body: "inner.A": bool is not an integer in range`},
	}
	for _, c := range cases {
		var v decodeArgs
		err := (&Request{Body: []byte(c.body)}).Decode(&v)
		var e *jigapi.Error
		if !errors.As(err, &e) || e.Code != jigapi.CodeBadRequest || e.Message != c.want {
			t.Errorf("body %q: got %v, want bad_request: %s", c.body, err, c.want)
		}
	}
	var v decodeArgs
	body := `{"n": 10, "inner": {"A": 2}, "tags": {"a": 1, "A": 2}, "extra": [{"x": 1}, {"x": 2}]}`
	if err := (&Request{Body: []byte(body)}).Decode(&v); err != nil || *v.N != 10 || v.Inner.A != 2 || len(v.Tags) != 2 {
		t.Fatalf("a good body: %+v, %v", v, err)
	}
}
