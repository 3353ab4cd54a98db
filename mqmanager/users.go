package mqmanager

import (
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
