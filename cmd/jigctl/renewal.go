package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// renewal keeps with-lock's lease: a renew every third of the TTL; after a
// failed one, retries every retryEvery until the lease's expiry; a renew
// that succeeds returns to the third-of-TTL schedule. The lease is lost
// when the expiry passes with no renew, or when the manager answers that
// it is not held (not_locked) or is another's (locked): lost is closed,
// and stderr says so at once.
type renewal struct {
	g             *globals
	c             *mqmanager.Client
	serial, token string
	ttl           time.Duration
	stopOnLoss    bool // with-lock --stop-on-loss: the command is sent SIGTERM
	lost          chan struct{}
	wg            sync.WaitGroup
	quit          chan struct{}
}

// renewEvery is how often a lease of ttl is renewed while renewals
// succeed: three times in its life, at most ten times a second.
func renewEvery(ttl time.Duration) time.Duration {
	return max(ttl/3, 100*time.Millisecond)
}

// retryEvery is the wait between tries after a failed renew:
// min(ttl/10, 1s), at least 100 ms. The first failure comes a third of
// the TTL after the last renew, so 2/3 of it is left: ttl/10 still gives
// six tries or more before the expiry with the shortest TTL (1 s), and a
// manager back from a restart is renewed with at most ttl/10 (or 1 s) of
// the remaining time spent. The 1 s cap keeps that gap small for long
// TTLs, at one small request a second per station while the manager is
// away (an absent manager answers no_fixture at once); the 100 ms floor
// keeps a failing broker from being asked in a tight loop.
func retryEvery(ttl time.Duration) time.Duration {
	return max(min(ttl/10, time.Second), 100*time.Millisecond)
}

// keepLease starts renewing the lease taken at about taken (local clock;
// the manager's expiry is taken+ttl on its own clock, a little later)
// until stop, which waits for the renewals to end.
func (g *globals) keepLease(ctx context.Context, c *mqmanager.Client, serial, token string, ttl time.Duration,
	taken time.Time, stopOnLoss bool) *renewal {
	r := &renewal{g: g, c: c, serial: serial, token: token, ttl: ttl, stopOnLoss: stopOnLoss,
		lost: make(chan struct{}), quit: make(chan struct{})}
	r.wg.Go(func() { r.run(ctx, taken.Add(ttl)) })
	return r
}

func (r *renewal) stop() { close(r.quit); r.wg.Wait() }

// isLost tells whether the lease was lost (once stop has returned, for
// good).
func (r *renewal) isLost() bool {
	select {
	case <-r.lost:
		return true
	default:
		return false
	}
}

func (r *renewal) run(ctx context.Context, expires time.Time) {
	wait, failed := renewEvery(r.ttl), 0
	for {
		if !r.sleep(min(wait, time.Until(expires))) {
			return
		}
		if !time.Now().Before(expires) {
			r.lose(expires, fmt.Sprintf("no renew succeeded before its expiry (%d failed)", failed))
			return
		}
		sent := time.Now()
		o := r.renew(ctx, expires)
		switch {
		case o.err == nil:
			if failed > 0 {
				fmt.Fprintf(r.g.stderr, "%s\trenewed after %d failed tries\n", r.serial, failed)
			}
			expires, wait, failed = sent.Add(r.ttl), renewEvery(r.ttl), 0
		case isCode(o.err, jigapi.CodeNotLocked) || isCode(o.err, jigapi.CodeLocked):
			r.lose(time.Now(), "renew "+o.label()+": "+o.detail())
			return
		default:
			if failed++; failed == 1 {
				fmt.Fprintf(r.g.stderr, "%s\trenew %s: %s (retrying every %v until the lease expires at %s)\n",
					r.serial, o.label(), o.detail(), retryEvery(r.ttl), stamp(expires))
			}
			wait = retryEvery(r.ttl)
		}
	}
}

// renew asks once, for no longer than the lease lasts.
func (r *renewal) renew(ctx context.Context, expires time.Time) outcome {
	ctx, cancel := context.WithDeadline(ctx, expires)
	defer cancel()
	_, o := callOne(ctx, r.g, r.c, r.serial, jigapi.Renew, jigapi.TokenArgs{Token: r.token})
	return o
}

// sleep waits d, or until stop: false then.
func (r *renewal) sleep(d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-r.quit:
		return false
	case <-t.C:
		return true
	}
}

func (r *renewal) lose(at time.Time, why string) {
	then := "the command runs on without it"
	if r.stopOnLoss {
		then = "sending the command SIGTERM (--stop-on-loss)"
	}
	fmt.Fprintf(r.g.stderr, "%s\tlease lost at %s: %s; %s\n", r.serial, stamp(at), why, then)
	close(r.lost)
}

func stamp(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z07:00") }
