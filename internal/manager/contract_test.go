package manager

import (
	"errors"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestServesEveryMethod: the manager serves every method of the contract.
// Each is asked with an empty argument ({}): the answer is the method's own
// (a result, or an error reply such as Fib's missing "n"), never
// unknown_method; a method not served on broadcasts refuses "_all".
func TestServesEveryMethod(t *testing.T) {
	f := startFixture(t, nil)
	for _, m := range jigapi.Methods() {
		_, err := f.ask(t, m.Name, struct{}{}, 5*time.Second)
		var re *mqmanager.RemoteError
		if errors.As(err, &re) && re.Code == jigapi.CodeUnknownMethod {
			t.Errorf("%s: the manager does not serve it: %v", m.Name, err)
		} else if err != nil && !errors.As(err, &re) {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
}
