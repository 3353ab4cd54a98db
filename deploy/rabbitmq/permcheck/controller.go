package main

import (
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// The controller side.

// controllerReplyQueue declares and consumes the controller's server-named
// reply queue, which the round trips use. It returns false if that failed.
func (c *checker) controllerReplyQueue() bool {
	cch, err := c.ctl.conn.Channel()
	if err == nil {
		var q amqp.Queue
		q, err = cch.QueueDeclare("", false, true, true, false, nil)
		c.replyQ = q.Name
	}
	c.expect("controller declares a server-named reply queue", true, err)
	if err != nil {
		return false
	}
	c.replies, err = cch.Consume(c.replyQ, "", true, true, false, false, nil)
	c.expect("controller consumes its reply queue "+c.replyQ, true, err)
	if err != nil {
		return false
	}
	c.cch = cch
	c.returns = cch.NotifyReturn(make(chan amqp.Return, 4))
	return true
}

// perRequestQueue checks that the controller may declare and consume a
// per-request reply queue, which the client names (jigmq.reply.<id>).
func (c *checker) perRequestQueue() {
	ch, err := c.ctl.conn.Channel()
	name := "jigmq.reply.permcheck-" + fmt.Sprint(time.Now().UnixNano())
	if err == nil {
		_, err = ch.QueueDeclare(name, false, true, true, false, nil)
	}
	if err == nil {
		_, err = ch.Consume(name, "", true, true, false, false, nil)
	}
	c.expect("controller declares and consumes a per-request reply queue "+name, true, err)
	if err == nil {
		ch.Close()
	}
}

// controllerRoundTrips sends a Ping to this fixture and one to all, and
// waits for this fixture's answer on the reply queue.
func (c *checker) controllerRoundTrips() {
	c.call("round trip "+c.serial+".Req.Ping via a reply queue", c.serial+".Req.Ping")
	c.call("round trip _all.Req.Ping via a reply queue", "_all.Req.Ping")
}

// call publishes a request with routing key key and reply_to the reply
// queue, and checks that the fixture answers it.
func (c *checker) call(name, key string) {
	corr := fmt.Sprintf("corr-%d", time.Now().UnixNano())
	err := c.cch.Publish("amq.topic", key, true, false, amqp.Publishing{
		ContentType: "application/json", CorrelationId: corr, ReplyTo: c.replyQ,
		Expiration: "2000", Body: []byte("{}"),
	})
	if err == nil {
		err = c.awaitReply(name, corr)
	}
	if err == nil {
		name += " (reply authenticated as " + c.fix.user + ")"
	}
	c.expect(name, true, err)
}

// awaitReply waits up to 3 s for the fixture's reply with correlation id
// corr; a returned request or no reply is an error.
func (c *checker) awaitReply(name, corr string) error {
	deadline := time.After(3 * time.Second)
	for {
		select {
		case d := <-c.replies:
			if d.CorrelationId != corr {
				continue
			}
			if d.UserId != c.fix.user {
				// On a shared broker other managers answer
				// broadcasts too: tell them apart by the
				// broker-validated user_id and wait for ours.
				fmt.Printf("note  %s: also answered by user_id %q\n", name, d.UserId)
				continue
			}
			return nil
		case r := <-c.returns:
			return fmt.Errorf("returned unroutable: %d %s", r.ReplyCode, r.ReplyText)
		case <-deadline:
			return errors.New("no reply within 3s")
		}
	}
}

// directReplyTo checks a round trip through direct reply-to on a second
// channel: consume the pseudo-queue, then publish with
// reply_to=amq.rabbitmq.reply-to on the same channel.
func (c *checker) directReplyTo() {
	dch, err := c.ctl.conn.Channel()
	var direct <-chan amqp.Delivery
	if err == nil {
		direct, err = dch.Consume("amq.rabbitmq.reply-to", "", true, false, false, false, nil)
	}
	c.expect("controller consumes amq.rabbitmq.reply-to (direct reply-to)", true, err)
	if err != nil {
		return
	}
	corr := fmt.Sprintf("direct-%d", time.Now().UnixNano())
	err = dch.Publish("amq.topic", c.serial+".Req.Ping", true, false, amqp.Publishing{
		CorrelationId: corr, ReplyTo: "amq.rabbitmq.reply-to", Expiration: "2000", Body: []byte("{}"),
	})
	if err == nil {
		select {
		case d := <-direct:
			if d.CorrelationId != corr || d.UserId != c.fix.user {
				err = fmt.Errorf("unexpected reply corr=%q user_id=%q", d.CorrelationId, d.UserId)
			}
		case <-time.After(3 * time.Second):
			err = errors.New("no direct reply within 3s")
		}
	}
	c.expect("round trip via direct reply-to", true, err)
}

// controllerLimits: a controller publishes requests only, follows events
// only, and does not touch a fixture's queue; nor may the fixture touch
// the controller's reply queue.
func (c *checker) controllerLimits() {
	for _, key := range []string{c.serial + ".Status", "#", c.serial + ".Req.Ping.extra", ".Req.Ping"} {
		c.check("controller publishes on amq.topic with a non-request key "+key, false, c.ctl,
			publishOp("amq.topic", key, message("")))
	}
	for _, key := range []string{"*.Evt.*", c.serial + ".Evt.*"} {
		c.check("controller binds its own queue to amq.topic to follow events ("+key+")", true, c.ctl, bindOwnOp(key))
	}
	for _, key := range []string{"#", "*.*.*", c.serial + ".#"} {
		c.check("controller binds its own queue to amq.topic with "+key, false, c.ctl, bindOwnOp(key))
	}
	c.check("controller publishes an event "+c.serial+".Evt.Heartbeat", false, c.ctl,
		publishOp("amq.topic", c.serial+".Evt.Heartbeat", message("")))
	c.check("controller publishes to "+c.queue+" through the default exchange", false, c.ctl,
		publishOp("", c.queue, message("")))
	c.check("controller declares the fixture queue "+c.queue, false, c.ctl, declareOp(c.queue))
	c.check("controller consumes the fixture queue "+c.queue, false, c.ctl, consumeOp(c.queue))
	c.check("controller binds its own queue to amq.topic to eavesdrop ("+c.serial+".Req.*)", false, c.ctl,
		bindOwnOp(c.serial+".Req.*"))
	c.check("fixture consumes the controller's reply queue", false, c.fix, consumeOp(c.replyQ))
}

// knownGap checks, as allowed, that a fixture can write into the
// controller's reply queue.
func (c *checker) knownGap() {
	// The known gap (deploy/rabbitmq/README.md, "Forged messages"), closed
	// by the user_id checks of managers and clients: write on the default
	// exchange reaches every queue by name. A fixture can drop a message into
	// a controller's reply queue or another fixture's request queue; only
	// the validated user_id tells the receiver who sent it. Checked as
	// "allowed" so that this tool notices if the broker ever closes it.
	c.check("(known gap) fixture publishes an unsigned message into the controller's reply queue", true, c.fix,
		publishOp("", c.replyQ, amqp.Publishing{CorrelationId: "forged", Body: []byte(`{"ok":true}`)}))
	select {
	case d := <-c.replies:
		if d.CorrelationId == "forged" && d.UserId == "" {
			fmt.Println("note  the forged reply arrived without user_id: clients must require user_id == jig-<serial>")
		}
	case <-time.After(2 * time.Second):
	}
}
