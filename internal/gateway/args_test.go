package gateway

import (
	"strings"
	"testing"
)

// TestBodyMustBeAnObject: a POST body that is JSON but not an object
// (null, an array, a string, a number, a boolean) is refused alike by the
// gateway, 400 bad_arguments, saying what it is in the caller's words, as
// a body that is not JSON is; `null` used to be sent on to the manager,
// and `[1]` refused with Go's own words ("json: cannot unmarshal array
// into Go value of type map[string]json.RawMessage"). An empty body, or
// {}, is no arguments.
func TestBodyMustBeAnObject(t *testing.T) {
	f := startFixture(t)
	g := startGateway(t, nil)
	for body, what := range map[string]string{"null": "null", " [1]": "an array", `"n"`: "a string",
		"90": "a number", "true": "a boolean", `{"n": 9`: "not JSON", `{"n": 9} {}`: "not JSON"} {
		for _, method := range []string{"fib", "status"} {
			var a struct {
				Outcome string
				Error   apiError
			}
			st := g.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/"+method, body, &a)
			if st != 400 || a.Outcome != "refused" || a.Error.Code != RefusedBadArguments ||
				!strings.Contains(a.Error.Message, what) || strings.Contains(a.Error.Message, "Go value") {
				t.Errorf("POST %s body %s: %d %+v; want 400 refused %s, saying %q", method, body, st, a, RefusedBadArguments, what)
			}
		}
	}
	for _, body := range []string{"", " ", "{}", " { } "} {
		if st := g.get(t, "POST", "/api/v1/fixtures/"+f.serial+"/status", body, nil); st != 200 {
			t.Errorf("POST status, body %q: %d, want 200", body, st)
		}
	}
}
