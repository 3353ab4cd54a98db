package mqmanager

import (
	amqp "github.com/rabbitmq/amqp091-go"
)

// acks batches the acks of a session's core consumer. Every request is
// acked on receipt, before it runs (a request is never redelivered and run
// twice), in delivery order, by the session's reader; so one basic.ack with
// multiple set acks a run of them, and the run's handlers start right after
// it is written. The reader marks each delivery with what starts its
// handler, and flushes when no further delivery is ready, when a batch is
// full, and before it waits for a handler slot: the broker is never kept
// waiting for an ack, nor a request for its start, while the reader is idle
// or blocked. One ack frame for a burst of requests instead of one each
// saves the broker and the manager a frame, a write and the broker's
// per-ack work. It is used by the reader goroutine only.
type acks struct {
	ch     *amqp.Channel
	last   uint64   // the highest delivery tag marked and not yet acked; 0: none
	starts []func() // the handlers of the marked deliveries, started after the ack
	n      int      // deliveries marked since the last flush
	batch  int      // flush when n reaches it
}

// newAcks batches up to half the prefetch window, so that the broker may
// send the other half while the first is acked.
func newAcks(ch *amqp.Channel, prefetch int) *acks {
	return &acks{ch: ch, batch: max(1, prefetch/2)}
}

// mark records d as received, and start (nil for a request dropped
// unanswered) to be called once its ack is written.
func (a *acks) mark(d *amqp.Delivery, start func()) {
	a.last = d.DeliveryTag
	if start != nil {
		a.starts = append(a.starts, start)
	}
	if a.n++; a.n >= a.batch {
		a.flush()
	}
}

// flush acks every delivery marked so far, then starts their handlers. A
// failed ack is the channel's loss, which the session's reader learns from
// its close notification; the handlers start anyway, and their replies
// fail the same way (the session cancels them).
func (a *acks) flush() {
	if a.last == 0 {
		return
	}
	a.ch.Ack(a.last, true)
	for i, start := range a.starts {
		start()
		a.starts[i] = nil
	}
	a.last, a.n, a.starts = 0, 0, a.starts[:0]
}

// pending reports whether a batch is open: marked deliveries not yet acked.
func (a *acks) pending() bool { return a.last != 0 }
