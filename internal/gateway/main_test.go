package gateway

import (
	"testing"

	"github.com/jigmq/jigmq/internal/testbroker"
)

// private is a RabbitMQ node of the package's own, for the tests that stop
// and restart the broker (brokerlost_test.go); booted by the first of them.
var private = &testbroker.Lazy{}

// TestMain stops the private node after the tests, if one was booted.
func TestMain(m *testing.M) { testbroker.Main(m, private) }
