package gateway

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzIndentJSON checks indentJSON against json.Indent on compact JSON,
// which is all writeJSON gives it (encoding/json's output).
func FuzzIndentJSON(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `"x"`, `12.5e3`, `{"a":{}}`, `{"a":[]}`, `[{},[],{"b":[1,2,{}]}]`,
		`{"s":"a \"quoted\" {brace} [bracket], colon: and \\ backslash"}`,
		`{"u":"\u003c\u0026 é \\\""}`, `{"ok":true,"result":{"fields":{"k":"v"},"read_at":"2026-01-01T00:00:00Z"}}`,
		"{\"raw\":  [ 1 , 2 ] }\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var compact bytes.Buffer
		if json.Compact(&compact, in) != nil {
			return
		}
		compact.WriteByte('\n') // as json.Encoder ends its output
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indentJSON(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("indentJSON(%q)\n got %q\nwant %q", compact.Bytes(), got, want.Bytes())
		}
	})
}
