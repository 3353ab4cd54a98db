package mqmanager

import (
	"context"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A plugin is a queue a server consumes beside its core one, plugged in by
// configuration: today the classic RPC tutorial's (ServerConfig.TutorialQueue,
// server_tutorial.go). It has its own channel and a reader goroutine of its
// own, owned by the session, that forwards its deliveries to the session's
// loop; that loop hands each back to the plugin's accept, so that every
// request starts on the one goroutine that owns the session's lanes, and
// learns when the plugin's deliveries end, and why.
type plugin interface {
	// open declares the plugin's queue on a channel of its own and starts
	// consuming it.
	open(conn *amqp.Connection) error
	// deliveries are the consumer's; they end when it is cancelled or its
	// channel lost.
	deliveries() <-chan amqp.Delivery
	// why says why the deliveries ended.
	why() error
	// accept starts the handling of one delivery (on the session's loop).
	accept(ctx, hctx context.Context, d amqp.Delivery)
	// cancel stops consuming, without waiting for the broker.
	cancel()
}

// plugged is a plugin's delivery on its way to the session's loop.
type plugged struct {
	p plugin
	d amqp.Delivery
}

// plugins are the plugins ss runs, as the configuration asks.
func (s *Server) plugins(ss *session) []plugin {
	if s.cfg.TutorialQueue == "" {
		return nil
	}
	return []plugin{&tutorial{ss: ss, queue: s.cfg.TutorialQueue, tag: ss.tag + "-tutorial"}}
}

// forward runs p's reader until its deliveries end or quit closes, then
// reports why on ss.ended.
func (ss *session) forward(p plugin, quit <-chan struct{}) {
	defer ss.readers.Done()
	for d := range p.deliveries() {
		select {
		case ss.plugged <- plugged{p, d}:
		case <-quit:
			return // unacked: the broker hands it to another consumer
		}
	}
	ss.ended <- p.why()
}
