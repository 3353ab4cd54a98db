package mqmanager

import (
	"testing"

	"github.com/jigmq/jigmq/internal/testbroker"
)

// TestMain stops the private broker nodes that the package's tests booted:
// private for the fault, soak and security tests, tlsBroker with an amqps
// listener for the TLS tests, cluster for the cluster tests and soak.
func TestMain(m *testing.M) { testbroker.Main(m, private, tlsBroker, cluster) }
