package mqmanager

import (
	"log/slog"

	amqp "github.com/rabbitmq/amqp091-go"
)

// userSet is the set of controller users a server accepts; nil accepts any.
type userSet map[string]struct{}

func newUserSet(users []string) userSet {
	if len(users) == 0 {
		return nil
	}
	set := userSet{}
	for _, u := range users {
		set[u] = struct{}{}
	}
	return set
}

// authorized reports whether a request comes from a controller user. One
// that does not is counted and logged; the caller acks it and sends no
// reply: a forger gets no answer, and the error codes are for callers.
func (s *Server) authorized(log *slog.Logger, d *amqp.Delivery) bool {
	if s.controllers == nil {
		return true
	}
	if _, ok := s.controllers[d.UserId]; ok && d.UserId != "" {
		return true
	}
	s.stats.rejected.Add(1)
	log.Warn("rejecting request: its user is not a controller user", "user_id", d.UserId,
		"routing_key", d.RoutingKey, "correlation_id", d.CorrelationId, "reply_to", d.ReplyTo, "app_id", d.AppId)
	return false
}
