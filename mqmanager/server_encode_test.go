package mqmanager

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// TestEncodeReplyAsMarshal: an ok reply, spliced together without a second
// pass over its result, is byte for byte json.Marshal of its envelope, for
// results and names that need escaping and elapsed times in either of
// encoding/json's float forms; an encodedResult is the same reply as the
// value it encodes.
func TestEncodeReplyAsMarshal(t *testing.T) {
	results := []any{map[string]int{"n": 1}, jigapi.FibResult{N: 7, Value: "13"}, "<a&b>\u2028\"q\"",
		[]any{1.5, nil, true, map[string]string{"k": "\x00\n"}}, nil, jigapi.NoArgs{}, json.RawMessage(` { "a" : [ 1 ] } `)}
	names := [][2]string{{"JIG-0001", "Fib"}, {"s<\"\\>&", "m\u00e9\u2029"}}
	elapsed := []time.Duration{0, 1500 * time.Microsecond, time.Microsecond, 3 * time.Hour}
	for _, res := range results {
		raw, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			for _, e := range elapsed {
				want, _ := json.Marshal(envelope{OK: true, Serial: n[0], Method: n[1], Result: raw,
					ElapsedMS: float64(e.Microseconds()) / 1000})
				if got := encodeReply(n[0], n[1], res, nil, e); string(got) != string(want) {
					t.Errorf("result %#v:\n got %s\nwant %s", res, got, want)
				}
				if got := encodeReply(n[0], n[1], encodedResult(raw), nil, e); string(got) != string(want) {
					t.Errorf("encoded result %s:\n got %s\nwant %s", raw, got, want)
				}
			}
		}
	}
}
