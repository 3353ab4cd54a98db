package mqmanager

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

type methodBook struct {
	jigapi.MethodStats
	total time.Duration
}

type statsBook struct {
	since                        time.Time
	dropped, expired, reconnects atomic.Uint64
	rejected                     atomic.Uint64
	inflight                     atomic.Int64
	progress                     atomic.Int64 // unix ns of the supervisor's last sign of life, see Liveness
	mu                           sync.Mutex
	methods                      map[string]*methodBook
}

func newStatsBook() *statsBook {
	b := &statsBook{since: time.Now(), methods: map[string]*methodBook{}}
	b.alive()
	return b
}

// alive records that the server's supervisor loop made progress.
func (b *statsBook) alive() { b.progress.Store(time.Now().UnixNano()) }

func (b *statsBook) record(method string, err error, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.methods[method]
	if m == nil {
		m = &methodBook{}
		b.methods[method] = m
	}
	m.Requests++
	m.total += d
	ms := float64(d.Microseconds()) / 1000
	m.MaxMS = max(m.MaxMS, ms)
	if err != nil {
		m.Errors++
		m.LastError = err.Error()
		m.LastErrorAt = time.Now()
	}
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() jigapi.ServerStats {
	b := s.stats
	out := jigapi.ServerStats{Since: b.since, Methods: map[string]jigapi.MethodStats{}, Dropped: b.dropped.Load(),
		Expired: b.expired.Load(), Rejected: b.rejected.Load(), Reconnects: b.reconnects.Load(),
		InFlight: b.inflight.Load(), Node: s.Node()}
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, m := range b.methods {
		st := m.MethodStats
		st.AvgMS = float64(m.total.Microseconds()) / 1000 / float64(m.Requests)
		out.Methods[name] = st
	}
	return out
}

// stallSlack is added to the longest legitimate pause of the supervisor
// loop, for a loaded machine.
const stallSlack = 5 * time.Second

// Progress is when the server's supervisor loop last showed a sign of life:
// the start of a connection attempt, or, while serving, a probe of the
// broker answered (every half heartbeat). It is the construction time
// before Run.
func (s *Server) Progress() time.Time {
	return time.Unix(0, s.stats.progress.Load())
}

// Liveness reports an error when the supervisor loop has shown no sign of
// life for longer than a healthy one can go without (StallLimit): it is
// stuck, e.g. a handler that ignores its context holds the last handler
// slot or keeps a lost session from ending. It says nothing about the
// broker: a server whose broker is down is retrying, which is progress, so
// Liveness stays nil. Meant for a watchdog such as systemd's.
func (s *Server) Liveness(now time.Time) error {
	last := s.Progress()
	if stalled := now.Sub(last); stalled > s.StallLimit() {
		return fmt.Errorf("broker supervisor stuck: no progress for %v (limit %v)",
			stalled.Round(time.Millisecond), s.StallLimit())
	}
	return nil
}

// StallLimit is the longest the supervisor loop may legitimately go
// without a sign of life: a failed connection attempt (dial and setup, each
// bounded by the setup limit) followed by its backoff (at most
// ReconnectMax); or a full handler pool holding up the reader for up to
// HandlerTimeout; then the requests in flight finishing (ShutdownGrace) and
// the link's close; plus slack.
func (s *Server) StallLimit() time.Duration {
	attempt := 2*s.setupLimit() + s.cfg.ReconnectMax
	return max(attempt, s.cfg.HandlerTimeout) + s.cfg.ShutdownGrace + closeGrace + stallSlack
}
