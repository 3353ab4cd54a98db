package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A process's first connect costs more than the hundredth: its code pages
// fault in, its runtime starts the network poller and the connection's
// goroutines for the first time. jigctl always pays the first, so its
// budget's dial and channel open are timed in a fresh process: jigbench
// runs itself with coldDialEnv set, and that process times one bare
// amqp091-go dial and channel open (and what a reply queue costs after it,
// for the table) and prints the nanoseconds.

// coldDialEnv, set to a broker URL, makes jigbench a cold dial probe.
const coldDialEnv = "JIGBENCH_COLD_DIAL"

// coldDialProbe is the probe's whole run: dial and open a channel, then
// declare and consume an exclusive auto-delete reply queue as the
// per-request mode does (waited for here, to time the broker's part), then
// close the connection, which deletes the queue; it prints the three times
// in nanoseconds. The last two are what a per-request reply queue costs a
// short-lived process at the least, whatever the client.
func coldDialProbe(url string, stdout io.Writer) error {
	t0 := time.Now()
	conn, err := amqp.Dial(url)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	t1 := time.Now()
	q, err := ch.QueueDeclare("jigmq.reply.bench-"+strconv.FormatInt(t0.UnixNano(), 36), false, true, true, false, nil)
	if err == nil {
		_, err = ch.Consume(q.Name, "", true, true, false, false, nil)
	}
	if err != nil {
		return err
	}
	t2 := time.Now()
	if err := conn.Close(); err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, t1.Sub(t0).Nanoseconds(), t2.Sub(t1).Nanoseconds(), time.Since(t2).Nanoseconds())
	return err
}

// coldProbes are the probe's times over its runs: dial and channel, reply
// queue declare and consume, close.
type coldProbes struct{ dial, queue, close result }

// coldDialChannel runs the probe n times and collects what each timed.
func coldDialChannel(ctx context.Context, url string, n int) (coldProbes, error) {
	var p coldProbes
	self, err := os.Executable()
	if err != nil {
		return p, err
	}
	for range n {
		cmd := exec.CommandContext(ctx, self)
		cmd.Env = append(os.Environ(), coldDialEnv+"="+url)
		out, err := cmd.Output()
		if err != nil {
			return p, fmt.Errorf("cold dial probe: %w", err)
		}
		f := strings.Fields(string(out))
		if len(f) != 3 {
			return p, fmt.Errorf("cold dial probe printed %q", out)
		}
		for i, r := range []*result{&p.dial, &p.queue, &p.close} {
			ns, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return p, fmt.Errorf("cold dial probe printed %q", out)
			}
			r.lat = append(r.lat, time.Duration(ns))
			r.wall += time.Duration(ns)
		}
	}
	p.dial, p.queue, p.close = merge(p.dial), merge(p.queue), merge(p.close)
	return p, nil
}
