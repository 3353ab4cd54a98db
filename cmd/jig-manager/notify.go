package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jigmq/jigmq/internal/sdnotify"
)

// What the watchdog keep-alives mean (deploy/README.md, "The watchdog"):
// the manager's own loops make progress, the broker supervisor (connected,
// or retrying within its backoff) and the serial worker (probing or
// reopening the port, reads finishing). They do not mean that the broker
// or the board are reachable: a restart cannot fix either, the manager
// already retries both, and a broker outage would otherwise restart every
// manager on the floor each WatchdogSec. So an outage shows in STATUS= and
// the logs, and only a stuck loop stops the keep-alives, which makes
// systemd kill the manager with SIGABRT (a goroutine dump in the journal)
// and restart it.
//
// The start timeout is treated alike. READY=1 means the consumer is live,
// so a manager started while the broker is unreachable stays activating;
// rather than let TimeoutStartSec kill and restart it every 90 s while its
// own supervisor is already retrying with backoff, it extends the timeout
// (EXTEND_TIMEOUT_USEC) for as long as its loops make progress, and shows
// why it waits in STATUS=. A manager stuck before READY stops extending,
// and the timeout kills it as before.

// extendEvery is how often a manager not READY yet extends systemd's start
// timeout, each time to 3*extendEvery from then: beyond TimeoutStartSec, a
// manager whose loops are found stuck is stopped at most that much later.
// A variable for the tests.
var extendEvery = 10 * time.Second

// status is the manager's line in `systemctl status` (STATUS=). A watchdog
// alarm stays shown until it clears; the latest line is shown then. Once
// READY, it no longer says why the manager waits, nor extends the start
// timeout.
type status struct {
	notify  *sdnotify.Notifier
	mu      sync.Mutex
	line    string
	alarmed bool
	ready   bool
}

// set shows line, sending any other states (e.g. READY=1) with it.
func (s *status) set(line string, states ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.show(line, states...)
}

func (s *status) show(line string, states ...string) {
	s.line = line
	if !s.alarmed {
		states = append(states, "STATUS="+line)
	}
	if len(states) > 0 {
		s.notify.Send(strings.Join(states, "\n"))
	}
}

// serving sends READY=1 with line.
func (s *status) serving(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = true
	s.show(line, "READY=1")
}

// waiting shows why a manager not READY yet is not: the reason of its
// supervisor's last retry.
func (s *status) waiting(reason error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		s.show("waiting for the broker: " + strings.ReplaceAll(reason.Error(), "\n", "; "))
	}
}

// extend extends the start timeout to d from now, unless READY.
func (s *status) extend(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		s.notify.Send(sdnotify.ExtendTimeout(d))
	}
}

// alarm shows line instead until restore.
func (s *status) alarm(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarmed = true
	s.notify.Send("STATUS=" + line)
}

func (s *status) restore() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alarmed = false
	s.notify.Send("STATUS=" + s.line)
}

// startWatchdog kicks systemd's watchdog, when the unit asks for one
// (WATCHDOG_USEC for this process) and systemd listens, every half period
// while live reports no error, and says so when that changes. stop ends
// the kicks and waits for them.
func startWatchdog(notify *sdnotify.Notifier, st *status, live func(time.Time) error, log *slog.Logger) (stop func()) {
	every, ok := sdnotify.WatchdogInterval(os.Getenv, os.Getpid())
	if !ok || !notify.Enabled() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		notify.Watchdog(ctx, every, live, func(err error) {
			if err == nil {
				log.Info("watchdog: loops alive again, keep-alives resumed")
				st.restore()
				return
			}
			log.Error("watchdog: a loop is stuck, keep-alives withheld: systemd will restart the manager", "err", err)
			st.alarm("stuck, watchdog keep-alives withheld: " + strings.ReplaceAll(err.Error(), "\n", "; "))
		})
	}()
	return func() { cancel(); wg.Wait() }
}

// startExtender extends systemd's start timeout, when systemd listens,
// every `every` to 3*every from then, while live reports no error, until
// ctx ends (the manager is READY, or stops) or st is READY. stop ends the
// extensions and waits for them.
func startExtender(ctx context.Context, st *status, every time.Duration, live func(time.Time) error,
	log *slog.Logger) (stop func()) {
	if !st.notify.Enabled() {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sdnotify.Keepalive(ctx, every, live, func() { st.extend(3 * every) }, func(err error) {
			if err == nil {
				log.Info("not ready yet, loops alive again: start timeout extended again")
				return
			}
			log.Warn("not ready yet and a loop is stuck: start timeout no longer extended", "err", err)
		})
	}()
	return func() { cancel(); wg.Wait() }
}
