package main

import (
	"testing"

	"github.com/jigmq/jigmq/internal/testbroker"
)

// TestMain stops the private broker nodes that the package's tests booted:
// private for the security tests, tlsBroker with an amqps listener for the
// TLS tests.
func TestMain(m *testing.M) { testbroker.Main(m, private, tlsBroker) }
