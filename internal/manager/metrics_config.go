package manager

import (
	"net"
	"strconv"

	"github.com/jigmq/jigmq/internal/keypath"
)

// Metrics configures the manager's own Prometheus endpoint, /metrics:
// its status reads (latency and errors), its broker reconnects, the
// requests it ran by method and outcome, and its build (metrics.go).
// Kept apart from Config's other sections so that it merges as one piece.
type Metrics struct {
	// Listen is the host:port /metrics is served on, e.g. 127.0.0.1:9464
	// (a scraper on this PC) or :9464 (every interface: anyone who can
	// reach the PC can read the metrics, which carry no secrets). Port 0
	// picks a free port, logged at start. Default "": off.
	Listen string `yaml:"listen"`
}

// Validate reports listen's problem, under its key relative to Metrics.
func (m Metrics) Validate() error {
	if m.Listen == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(m.Listen)
	if err != nil {
		return keypath.Errorf("listen", "%q is not host:port (%v)", m.Listen, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return keypath.Errorf("listen", "port %q is not a number from 0 to 65535", port)
	}
	return nil
}
