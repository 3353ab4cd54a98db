package mqmanager

import (
	"errors"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Names of the wire contract.
const (
	// Exchange is where requests are published.
	Exchange = "amq.topic"
	// Broadcast is the serial that reaches every manager.
	Broadcast = "_all"
	// DirectReplyQueue is RabbitMQ's pseudo-queue for direct reply-to.
	DirectReplyQueue = "amq.rabbitmq.reply-to"
	// ReplyQueuePrefix starts the name of a per-request reply queue, which
	// the client names: the prefix and the request's correlation id. A
	// controller's broker user needs configure and read on such names.
	ReplyQueuePrefix = "jigmq.reply."
	// ContentType of requests and replies.
	ContentType = "application/json"
	// DeadlineHeader carries the caller's absolute deadline in Unix
	// milliseconds. AMQP's timestamp property has one-second resolution, so
	// this header is what lets a manager refuse work its caller gave up on.
	DeadlineHeader = "x-deadline-ms"
)

// replyQueuePattern matches the per-request reply queues' names, as a
// permission's regular expression.
const replyQueuePattern = `jigmq\.reply\..*`

// serialPattern is what ValidSerial accepts, as a regular expression (it
// is checked by hand: a compiled {0,63} costs every process start).
const serialPattern = `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`

// ValidSerial reports whether s is a fixture serial: letters, digits, '_'
// and '-', starting with a letter or digit, at most 64 characters.
func ValidSerial(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '_' || s[0] == '-' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckSerial returns a clear error for an invalid serial.
func CheckSerial(s string) error {
	if !ValidSerial(s) {
		return fmt.Errorf("invalid fixture serial %q: want %s", s, serialPattern)
	}
	return nil
}

// QueueName is the manager's queue for a serial: jig.<serial>.
func QueueName(serial string) string { return "jig." + serial }

// RoutingKey is the key a request for serial and method is published with.
func RoutingKey(serial, method string) string { return serial + ".Req." + method }

// BindingKeys are the keys a manager binds its queue with on Exchange.
func BindingKeys(serial string) []string {
	return []string{serial + ".Req.*", Broadcast + ".Req.*"}
}

// ParseRoutingKey splits "<serial>.Req.<Method>". The method may be empty
// ("<serial>.Req."): that is a request, for an unknown method.
func ParseRoutingKey(key string) (serial, method string, ok bool) {
	serial, rest, ok := strings.Cut(key, ".Req.")
	if !ok || serial == "" || strings.Contains(serial, ".") || strings.Contains(rest, ".") {
		return "", "", false
	}
	return serial, rest, true
}

// declareServer declares the manager's exclusive, auto-delete queue and binds
// it. A queue held by another connection fails with RESOURCE_LOCKED, which
// the caller maps to ErrAlreadyServed.
func declareServer(ch *amqp.Channel, serial string) (string, error) {
	q, err := ch.QueueDeclare(QueueName(serial), false, true, true, false, nil)
	if err != nil {
		return "", classifyDeclare(err, serial)
	}
	for _, key := range BindingKeys(serial) {
		if err := ch.QueueBind(q.Name, key, Exchange, false, nil); err != nil {
			return "", refused(fmt.Sprintf("bind %s to %s with %q", q.Name, Exchange, key), err, bindHint)
		}
	}
	return q.Name, nil
}

// declareTutorial declares the classic RPC tutorial's shared queue with the
// tutorial's own arguments (non-durable, not exclusive, not auto-delete), so
// that Python clients declaring it too agree with us.
// Another connection's exclusive queue of that name (another manager's
// jig.<serial>) refuses us with RESOURCE_LOCKED: ErrTutorialLocked.
func declareTutorial(ch *amqp.Channel, name string) error {
	_, err := ch.QueueDeclare(name, false, false, false, false, nil)
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.ResourceLocked {
		return fmt.Errorf("%w: %s is another connection's exclusive queue (another manager's jig.<serial>, "+
			"or a client's); name a shared one, e.g. rpc_queue: %w", ErrTutorialLocked, name, err)
	}
	if err != nil {
		return fmt.Errorf("declare tutorial queue %s: %w", name, err)
	}
	return nil
}

// MaxQueueName is the longest queue name AMQP carries (a short string).
const MaxQueueName = 255

// CheckQueueName refuses a queue name AMQP cannot carry: amqp091-go would
// fail the declare on every connection, a retry never fixing it.
func CheckQueueName(name string) error {
	if len(name) > MaxQueueName {
		return fmt.Errorf("%d bytes, longer than %d (AMQP's limit for a queue name)", len(name), MaxQueueName)
	}
	return nil
}

func classifyDeclare(err error, serial string) error {
	if e, ok := err.(*amqp.Error); ok && e.Code == amqp.ResourceLocked {
		return fmt.Errorf("%w: queue %s is held by another connection (%s)",
			ErrAlreadyServed, QueueName(serial), e.Reason)
	}
	return refused("declare "+QueueName(serial), err, declareHint)
}
