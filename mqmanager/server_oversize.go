package mqmanager

import (
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

// What a manager holds of request bodies is bounded by the broker: at most
// Prefetch deliveries sent ahead plus the one being read, each at most the
// broker's max_message_size (deploy/rabbitmq/rabbitmq.conf sets 1 MiB for
// the floor). An oversized body is refused with too_large, and its bytes
// are let go at once: the Request keeps only its size. After a burst of
// them the garbage is returned to the OS (releaseAfter), so that the
// process's memory comes back down instead of staying at the burst's peak.

// releaseAfter is how long oversized bodies must stop coming before their
// memory is given back.
const releaseAfter = time.Second

// sizeRefusal is the too_large error of an oversized request, or nil.
func (s *Server) sizeRefusal(req *Request) error {
	if req.size > s.cfg.MaxBody {
		return jigapi.Errorf(jigapi.CodeTooLarge, "body is %d bytes, the limit is %d", req.size, s.cfg.MaxBody)
	}
	return nil
}

// dropOversized lets go of an oversized body (req keeps its size for the
// too_large reply) and schedules the release of its memory.
func (ss *session) dropOversized(d *amqp.Delivery, req *Request) {
	if req.size <= ss.s.cfg.MaxBody {
		return
	}
	d.Body, req.Body = nil, nil
	ss.release.note()
}

// releaser returns freed memory to the OS once no oversized body has come
// for releaseAfter. It is used by the session's reader goroutine only.
type releaser struct {
	t     *time.Timer
	burst int // oversized bodies since the last release
}

func newReleaser() *releaser {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &releaser{t: t}
}

// note (re)starts the quiet period.
func (r *releaser) note() {
	r.burst++
	r.t.Reset(releaseAfter)
}

// due fires when the quiet period is over.
func (r *releaser) due() <-chan time.Time { return r.t.C }

// now returns the memory: a full collection, then the freed pages to the
// OS (a few milliseconds on a manager's small heap).
func (r *releaser) now(log *slog.Logger) {
	debug.FreeOSMemory()
	log.Info("oversized request bodies stopped: their memory is returned to the OS", "bodies", r.burst)
	r.burst = 0
}

func (r *releaser) stop() { r.t.Stop() }
