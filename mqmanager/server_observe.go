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

// OtherMethod is the row of the server's stats (Stats().Methods) that
// counts requests for methods it does not serve: a caller sending made-up
// names gets its unknown_method replies counted there, not a row each.
const OtherMethod = "(other)"

// observe books a request that ran, in the server's stats and with
// ServerConfig.Observe.
func (s *Server) observe(method string, err error, d time.Duration) {
	booked := method
	if _, served := s.routes[method]; !served && method != TutorialMethod {
		booked = OtherMethod
	}
	s.stats.record(booked, err, d)
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
