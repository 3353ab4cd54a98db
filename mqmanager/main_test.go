package mqmanager

import (
	"fmt"
	"os"
	"testing"
)

// TestMain stops the private broker nodes that the package's tests booted
// (see internal/testbroker.Lazy): one for the security tests, one with an
// amqps listener for the TLS tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, err := range []error{private.Close(), tlsBroker.Close()} {
		if err != nil {
			fmt.Fprintln(os.Stderr, "private broker:", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}
