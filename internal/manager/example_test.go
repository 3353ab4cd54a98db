package manager_test

import (
	"fmt"

	"github.com/jigmq/jigmq/internal/manager"
)

// Every problem of a configuration at once, each under its key path.
func ExampleConfig_Validate() {
	cfg := manager.DefaultConfig()
	cfg.Serial, cfg.Fixture.Port = "JIG-0001", "/dev/ttyUSB0"
	cfg.Broker.Prefetch = 65536
	cfg.Fixture.Parity = "weird"
	cfg.Fixture.Resync.Probe = "A;B"
	fmt.Println(cfg.Validate())
	// Output:
	// broker.prefetch: 65536 is not between 0 (the default) and 65535
	// fixture.parity: "weird" is not none, odd, even, mark or space
	// fixture.resync.probe: command "A;B" contains ';': one line must be one command
}
