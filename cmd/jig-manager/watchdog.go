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

// status is the manager's line in `systemctl status` (STATUS=). A watchdog
// alarm stays shown until it clears; the latest line is shown then.
type status struct {
	notify  *sdnotify.Notifier
	mu      sync.Mutex
	line    string
	alarmed bool
}

// set shows line, sending any other states (e.g. READY=1) with it.
func (s *status) set(line string, states ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.line = line
	if !s.alarmed {
		states = append(states, "STATUS="+line)
	}
	if len(states) > 0 {
		s.notify.Send(strings.Join(states, "\n"))
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
