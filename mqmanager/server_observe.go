package mqmanager

import "time"

// ObserveFunc is told each request a Server ran: its method (as the
// request named it, which may be one the server does not know), its
// outcome ("ok", or the error reply's code, e.g. "serial_timeout" or
// "unknown_method") and how long it took from its arrival. See
// ServerConfig.Observe.
type ObserveFunc func(method, outcome string, d time.Duration)

// OutcomeOK is the outcome an ObserveFunc is told for a request answered
// with a result.
const OutcomeOK = "ok"

// observe books a request that ran, in the server's stats and with
// ServerConfig.Observe.
func (s *Server) observe(method string, err error, d time.Duration) {
	s.stats.record(method, err, d)
	if s.cfg.Observe != nil {
		s.cfg.Observe(method, outcomeOf(err), d)
	}
}

// outcomeOf is "ok" for nil, else the code the reply carries.
func outcomeOf(err error) string {
	if err == nil {
		return OutcomeOK
	}
	return wireErrorOf(err).Code
}
