package mqmanager

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Who sent a message is the AMQP user_id property. RabbitMQ refuses a
// publish whose user_id differs from the user the connection logged in as
// (PRECONDITION_FAILED, the channel is closed), so a user_id that arrives is
// the sender's broker user. Managers set it on every reply and clients on
// every request; a manager configured with controller users serves only
// their requests (ServerConfig.ControllerUsers), and a client configured to
// check replies accepts a reply only from the fixture's own user
// (ClientConfig.CheckReplyUser). This matters because the default exchange,
// which replies go through, lets any user with write on it publish into any
// queue it can name: a fixture's user could otherwise forge requests into
// another fixture's queue or replies into a controller's reply queue.

// FixtureUser is the broker user of a fixture's manager by the convention
// of deploy/rabbitmq/add-fixture.sh: "jig-" + serial.
func FixtureUser(serial string) string { return "jig-" + serial }

// DefaultReplyUserFormat is FixtureUser as a format for ReplyUserFormat.
const DefaultReplyUserFormat = "jig-%s"

// ReplyUserFormat returns the mapping from a serial to its manager's broker
// user given by format, which must hold exactly one %s (the serial) and no
// other verb, e.g. "jig-%s" or "%s.fixtures.example".
func ReplyUserFormat(format string) (func(serial string) string, error) {
	if strings.Count(format, "%s") != 1 || strings.Count(format, "%") != 1 {
		return nil, fmt.Errorf("reply user format %q: want exactly one %%s (the serial) and no other %%", format)
	}
	prefix, suffix, _ := strings.Cut(format, "%s")
	return func(serial string) string { return prefix + serial + suffix }, nil
}

// loginUser is the user a connection to rawURL logs in as, which is the
// user_id its publishes must carry; "" when it is not known (EXTERNAL login
// without a configured User: then no user_id is set).
func (b Broker) loginUser(rawURL string) (string, error) {
	uri, err := amqp.ParseURI(rawURL)
	if err != nil {
		return "", nil // dial reports it
	}
	if b.External || slices.ContainsFunc(uri.AuthMechanism, func(m string) bool { return strings.EqualFold(m, "external") }) {
		return b.User, nil
	}
	if b.User != "" && b.User != uri.Username {
		return "", fmt.Errorf("broker user %q is not the user %q that %s logs in as: the broker would refuse "+
			"every publish (its user_id must be the login user)", b.User, uri.Username, Redact(rawURL))
	}
	return uri.Username, nil
}

// CheckUser reports a configured User that contradicts a URL's user. With
// a password login the URL's user (guest when it names none) is the one
// that counts, and User may be left empty.
func (b Broker) CheckUser() error {
	_, err := b.publishUsers()
	return err
}

// publishUsers maps each URL to the user_id of its connection's publishes.
func (b Broker) publishUsers() (map[string]string, error) {
	users := map[string]string{}
	var errs []error
	for _, u := range b.urls() {
		user, err := b.loginUser(u)
		errs = append(errs, err)
		users[u] = user
	}
	return users, errors.Join(errs...)
}

// warnNoUser warns when a URL's user is unknown (EXTERNAL login without a
// configured Broker.User): its replies carry no user_id, and clients that
// check reply users discard them.
func warnNoUser(log *slog.Logger, users map[string]string) {
	for u, user := range users {
		if user == "" {
			log.Warn("replies will carry no user_id: set the broker user for a certificate login",
				"url", Redact(u))
		}
	}
}

// ErrAccessRefused: the broker refused an operation to our user
// (ACCESS_REFUSED): its permissions do not allow it. Errors that wrap it
// wrap the broker's *amqp.Error too.
var ErrAccessRefused = errors.New("access refused by the broker")

// refusedError is a broker call refused for lack of permission, with what
// was attempted and a hint at what to check.
type refusedError struct {
	what, hint string
	amqp       *amqp.Error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("%s: %v: %s; %s", e.what, ErrAccessRefused, e.amqp.Reason, e.hint)
}

func (e *refusedError) Unwrap() []error { return []error{ErrAccessRefused, e.amqp} }

// refused wraps a broker call's error: an ACCESS_REFUSED becomes an error
// that says so, with hint; any other is wrapped with what.
func refused(what string, err error, hint string) error {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.AccessRefused {
		return &refusedError{what: what, hint: hint, amqp: ae}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// bindHint explains a refused bind of a fixture's queue.
const bindHint = "a fixture's broker user may bind only its own <serial>.Req.* and _all.Req.*: " +
	"check the serial and the user, see deploy/rabbitmq/add-fixture.sh"

// declareHint explains a refused declare of a fixture's queue.
const declareHint = "a fixture's broker user may declare only its own queue jig.<serial>: " +
	"check the serial and the user, see deploy/rabbitmq/add-fixture.sh"

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

// replyCheck returns the reply-user check of a request to t, or nil when
// replies are not checked: CheckReplyUser is off, or t is a plain queue
// (CallQueue: the RPC tutorial's protocol names no fixture, and any manager
// sharing the queue may answer).
//
// The check runs on the reply path's reader, before a reply takes the
// request's place in its buffer, so that forged replies can neither be
// returned nor crowd out the genuine one.
func (c *Client) replyCheck(t target) func(*amqp.Delivery) bool {
	if !c.cfg.CheckReplyUser || t.exchange != Exchange {
		return nil
	}
	return func(d *amqp.Delivery) bool {
		serial, ok := replyFrom(t, d.Body)
		want := ""
		if ok {
			want = c.replyUser(serial)
		}
		if want != "" && d.UserId == want {
			return true
		}
		c.rejected.Add(1)
		c.log.Warn("discarding reply: not from the fixture's broker user", "to", t.serial, "method", t.method,
			"serial", serial, "user_id", d.UserId, "want_user", want, "correlation_id", d.CorrelationId)
		return false
	}
}

// replyFrom is the serial a reply to t is from: for a broadcast the one it
// names; otherwise the one asked, which a reply naming another contradicts
// (ok false).
func replyFrom(t target, body []byte) (serial string, ok bool) {
	named := replySerial(body)
	switch {
	case t.serial == Broadcast:
		return named, named != ""
	case named != "" && named != t.serial:
		return named, false
	}
	return t.serial, true
}

// replyUser is the broker user the manager of serial logs in as.
func (c *Client) replyUser(serial string) string {
	if c.cfg.ReplyUser != nil {
		return c.cfg.ReplyUser(serial)
	}
	return FixtureUser(serial)
}

// replySerial is the serial a broadcast reply names in its envelope, or ""
// when it names no valid one (a reply that cannot be attributed cannot be
// checked, so it is discarded).
func replySerial(body []byte) string {
	var env struct {
		Serial string `json:"serial"`
	}
	if json.Unmarshal(body, &env) != nil || !ValidSerial(env.Serial) {
		return ""
	}
	return env.Serial
}

// Rejected counts the replies discarded by the reply-user check: their
// user_id was not the user of the fixture they claim to come from.
func (c *Client) Rejected() uint64 { return c.rejected.Load() }
