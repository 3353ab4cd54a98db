package main

import (
	"fmt"
	"net/url"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Sessions and operations.

// session is one connection as one user.
type session struct {
	conn *amqp.Connection
	user string
}

func dial(base, user, pass string) (*session, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(user, pass)
	conn, err := amqp.DialConfig(u.String(), amqp.Config{Heartbeat: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", user, err)
	}
	return &session{conn: conn, user: user}, nil
}

// try runs op on a fresh channel and returns its error. An operation the
// broker refuses closes the channel, so each check gets its own. Publishing
// is asynchronous in AMQP: a refused publish only shows as the channel being
// closed, so after op a synchronous no-op (basic.qos) flushes the outcome.
func (s *session) try(op func(ch *amqp.Channel) error) error {
	ch, err := s.conn.Channel()
	if err != nil {
		return err
	}
	closed := ch.NotifyClose(make(chan *amqp.Error, 1))
	err = op(ch)
	if err == nil {
		err = ch.Qos(0, 0, false)
	}
	if err != nil {
		// Prefer the broker's reason (code + text) to the client's
		// generic "channel/connection is not open".
		select {
		case ae := <-closed:
			if ae != nil {
				return ae
			}
		case <-time.After(2 * time.Second):
		}
		return err
	}
	ch.Close()
	return nil
}

// message is an empty JSON body with user_id userID ("" for none).
func message(userID string) amqp.Publishing {
	return amqp.Publishing{UserId: userID, Body: []byte("{}")}
}

// publishOp publishes p to exchange with routing key key.
func publishOp(exchange, key string, p amqp.Publishing) func(*amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		return ch.Publish(exchange, key, false, false, p)
	}
}

// bindOp binds queue to amq.topic with key.
func bindOp(queue, key string) func(*amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		return ch.QueueBind(queue, key, "amq.topic", false, nil)
	}
}

// bindOwnOp declares a server-named queue and binds it to amq.topic with key.
func bindOwnOp(key string) func(*amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		q, err := ch.QueueDeclare("", false, true, true, false, nil)
		if err != nil {
			return err
		}
		return ch.QueueBind(q.Name, key, "amq.topic", false, nil)
	}
}

// declareOp declares an exclusive, auto-delete queue name ("" for a
// server-named one).
func declareOp(name string) func(*amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		_, err := ch.QueueDeclare(name, false, true, true, false, nil)
		return err
	}
}

// consumeOp consumes queue.
func consumeOp(queue string) func(*amqp.Channel) error {
	return func(ch *amqp.Channel) error {
		_, err := ch.Consume(queue, "", false, false, false, false, nil)
		return err
	}
}
