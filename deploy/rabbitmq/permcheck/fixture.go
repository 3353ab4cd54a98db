package main

import (
	"fmt"
	"os"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The fixture (manager) side of the contract.

// startManager sets up the fixture's side as a manager would: its queue,
// bound with its own request keys, consumed and answered. It returns false
// if a step failed, as the checks after it depend on it.
func (c *checker) startManager() bool {
	// The manager's own channel stays open: its exclusive queue lives as
	// long as the connection, and it answers the controller below.
	mch, err := c.fix.conn.Channel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "permcheck:", err)
		return false
	}
	_, err = mch.QueueDeclare(c.queue, false, true, true, false, nil)
	c.expect("fixture declares its queue "+c.queue, true, err)
	if err != nil {
		return false
	}
	for _, key := range []string{c.serial + ".Req.*", "_all.Req.*"} {
		c.check("fixture binds "+c.queue+" to amq.topic with "+key, true, c.fix, bindOp(c.queue, key))
	}
	requests, err := mch.Consume(c.queue, "", false, true, false, false, nil)
	c.expect("fixture consumes "+c.queue, true, err)
	if err != nil {
		return false
	}
	go c.answer(mch, requests)
	return true
}

// answer answers every request like a manager: ack, reply through the
// default exchange to reply_to with the correlation id and a validated
// user_id.
func (c *checker) answer(mch *amqp.Channel, requests <-chan amqp.Delivery) {
	body := []byte(`{"ok":true,"serial":"` + c.serial + `","method":"` + jigapi.Ping.Name() + `","result":{}}`)
	for d := range requests {
		d.Ack(false)
		mch.Publish("", d.ReplyTo, false, false, amqp.Publishing{
			ContentType:   "application/json",
			CorrelationId: d.CorrelationId,
			UserId:        c.fix.user,
			Body:          body,
		})
	}
}

// fixtureQueues: a fixture binds its queue with its own keys only, and
// declares no queue but its own.
func (c *checker) fixtureQueues() {
	for _, key := range []string{c.other + ".Req.*", "#", "*.Req.*", c.serial + ".#.x"} {
		c.check("fixture binds its queue with someone else's key "+key, false, c.fix, bindOp(c.queue, key))
	}
	c.check("fixture declares another fixture's queue jig."+c.other, false, c.fix, declareOp("jig."+c.other))
	c.check("fixture declares a server-named queue", false, c.fix, declareOp(""))
	c.check("fixture declares the tutorial queue rpc_queue (compat not granted)", false, c.fix,
		func(ch *amqp.Channel) error {
			_, err := ch.QueueDeclare("rpc_queue", false, false, false, false, nil)
			return err
		})
}

// fixturePublishes: a fixture publishes no requests, only its own events,
// and only under its own user_id.
func (c *checker) fixturePublishes() {
	c.check("fixture publishes a request on amq.topic ("+c.other+".Req.Ping)", false, c.fix,
		publishOp("amq.topic", c.other+".Req.Ping", message("")))
	// Events: a fixture publishes its own <serial>.Evt.<Kind>, nothing else.
	c.check("fixture publishes its own event "+c.serial+".Evt.Heartbeat", true, c.fix,
		publishOp("amq.topic", c.serial+".Evt.Heartbeat", message(c.fix.user)))
	for _, key := range []string{c.other + ".Evt.Heartbeat", c.serial + ".Evt.Heartbeat.x", "_all.Evt.Heartbeat", c.serial + ".Req.Ping"} {
		c.check("fixture publishes on amq.topic with "+key, false, c.fix,
			publishOp("amq.topic", key, message(c.fix.user)))
	}
	c.check("fixture publishes via the default exchange with its own user_id", true, c.fix,
		publishOp("", "no-such-queue", message(c.fix.user)))
	c.check("fixture publishes with a forged user_id "+c.ctl.user, false, c.fix,
		publishOp("", "no-such-queue", message(c.ctl.user)))
}
