package mqmanager

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/jigmq/jigmq/jigapi"
)

// FuzzRequestDecode: any body gives either a decoded object or a
// bad_request *jigapi.Error, never a panic or another error.
func FuzzRequestDecode(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"n": 90}`, `{"n":`, `[1]`, `"x"`, `{"n": 1e400}`,
		`{"n": -1}`, `{} {}`, `{"n": 5, "x": 1}`, "\x00\xff", `{"n":"5"}`, ` {"n": 1} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v struct {
			N *int `json:"n"`
		}
		err := (&Request{Body: body}).Decode(&v)
		if err == nil {
			return
		}
		var e *jigapi.Error
		if !errors.As(err, &e) || e.Code != jigapi.CodeBadRequest || e.Message == "" {
			t.Fatalf("body %q: error %v is not a bad_request", body, err)
		}
	})
}

// FuzzReplyDecode: any reply body gives exactly one of a Reply or a
// *RemoteError; a non-envelope is raw and keeps its bytes.
func FuzzReplyDecode(f *testing.F) {
	for _, s := range []string{`{"ok":true,"serial":"A","method":"Ping","result":{}}`,
		`{"ok":false,"error":{"code":"bad_request","message":"m"}}`, `{"ok":false}`, `READY`, ``,
		`{"ok":"yes"}`, `null`, `{"ok":true}`, `832040`, `{"ok":false,"error":{"code":""}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeReply("S", "M", body)
		if (r == nil) == (err == nil) {
			t.Fatalf("body %q: reply %v and error %v", body, r, err)
		}
		if err != nil {
			var re *RemoteError
			if !errors.As(err, &re) || re.Code == "" {
				t.Fatalf("body %q: error %v is not a coded RemoteError", body, err)
			}
			return
		}
		if r.Raw && string(r.Body) != string(body) {
			t.Fatalf("raw reply lost its body")
		}
		if r.Raw && json.Valid(body) != (r.Result != nil) {
			t.Fatalf("raw result %q for body %q", r.Result, body)
		}
	})
}

// TestEncodeReplyRoundTrip: what a server encodes, a client decodes to the
// same outcome.
func TestEncodeReplyRoundTrip(t *testing.T) {
	body := encodeReply("S", "Fib", map[string]int{"n": 1}, nil, 0)
	r, err := decodeReply("x", "y", body)
	if err != nil || r.Raw || r.Serial != "S" || string(r.Result) != `{"n":1}` {
		t.Fatalf("ok round trip: %+v %v", r, err)
	}
	body = encodeReply("S", "Fib", nil, jigapi.Errorf(jigapi.CodeBadRequest, "n"), 0)
	_, err = decodeReply("x", "y", body)
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != jigapi.CodeBadRequest || re.Serial != "S" || re.Method != "Fib" {
		t.Fatalf("error round trip: %v", err)
	}
	body = encodeReply("S", "Fib", nil, errors.New("disk on fire"), 0)
	if _, err = decodeReply("x", "y", body); !errors.As(err, &re) || re.Code != jigapi.CodeInternal {
		t.Fatalf("plain error: %v", err)
	}
	body = encodeReply("S", "Fib", func() {}, nil, 0)
	if _, err = decodeReply("x", "y", body); !errors.As(err, &re) || re.Code != jigapi.CodeInternal {
		t.Fatalf("unencodable result: %v", err)
	}
}
