package keypath_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jigmq/jigmq/internal/keypath"
)

func TestUnder(t *testing.T) {
	inner := errors.Join(keypath.Errorf("baud", "bad"), keypath.Errorf("queries[1].name", "required"),
		errors.Join(keypath.Errorf("[2]", "indexed")), errors.New("no path"),
		&keypath.Setting{Name: "AMQP_URL", Err: errors.New("not from the file")})
	err := keypath.Join(keypath.Under("fixture", inner), nil, keypath.Under("broker", nil))
	want := "fixture.baud: bad\nfixture.queries[1].name: required\nfixture[2]: indexed\nfixture: no path\n" +
		"AMQP_URL: not from the file"
	if fmt.Sprint(err) != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 5 {
		t.Errorf("%d problems, want 5, flat", n)
	}
	if keypath.Join(nil, keypath.Under("x", nil)) != nil {
		t.Error("no problems: want nil")
	}
}

// TestReport: decode problems first, then Validate's, less those at or
// under a path whose value did not decode.
func TestReport(t *testing.T) {
	decoded := &keypath.DecodeError{Problems: []error{keypath.Errorf("fixture.baud", `"fast" is not an integer (line 7)`),
		keypath.Errorf("fixture.queries[1]", "a list is not a mapping (line 9)")}}
	validated := keypath.Join(keypath.Errorf("fixture.baud", "misleading"), keypath.Errorf("fixture.baudrate", "kept"),
		keypath.Errorf("fixture.queries[1].name", "misleading"), keypath.Errorf("fixture.queries[10].name", "kept"))
	want := "fixture.baud: \"fast\" is not an integer (line 7)\nfixture.queries[1]: a list is not a mapping (line 9)\n" +
		"fixture.baudrate: kept\nfixture.queries[10].name: kept"
	if got := fmt.Sprint(keypath.Report(decoded, validated)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if keypath.Report(nil, nil) != nil || !keypath.Partial(nil) || !keypath.Partial(decoded) {
		t.Error("nothing wrong: want nil, partial")
	}
	if keypath.Partial(errors.New("no such file")) {
		t.Error("a plain error is not a partial decode")
	}
}
