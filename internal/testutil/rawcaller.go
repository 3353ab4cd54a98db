package testutil

import (
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
)

// RawCaller is a bare amqp091-go connection with a channel and a
// server-named exclusive reply queue consumed with auto-ack, for tests that
// publish requests by hand (storms, floods, forged bodies). It is closed at
// the end of the test.
type RawCaller struct {
	Ch      *amqp.Channel
	Queue   string               // the reply queue, for reply_to
	Replies <-chan amqp.Delivery // what arrives on it
}

// RawChannel is a plain amqp091-go channel on a connection of its own to
// url, for publishing or binding what the project's client never would; it
// is closed at the end of the test.
func RawChannel(t testing.TB, url string) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// NewRawCaller dials url and sets the caller up, failing the test if it
// cannot.
func NewRawCaller(t testing.TB, url string) *RawCaller {
	t.Helper()
	ch := RawChannel(t, url)
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	replies, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &RawCaller{Ch: ch, Queue: q.Name, Replies: replies}
}
