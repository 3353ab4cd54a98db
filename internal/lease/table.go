package lease

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// Config configures a Table.
type Config struct {
	// MaxTTL bounds a lease's TTL, so a crashed station never leaves the
	// fixture held longer. Required.
	MaxTTL time.Duration
	// Path is the state file; "" keeps the lease in memory only.
	Path string
	// Serial is the fixture's: kept in the state file, whose lease is
	// restored only if it is this serial's (or names none).
	Serial string
	// Now is the clock; time.Now if nil. Tests inject one.
	Now func() time.Time
	// Log is told about the state file's troubles; discarded if nil.
	Log *slog.Logger
}

// Table is one fixture's lease. Its methods are safe for concurrent use.
type Table struct {
	cfg   Config
	store store
	mu    sync.Mutex
	cur   *record // nil: not held (or not yet known to have expired)
}

// record is a lease as the table keeps it.
type record struct {
	Token      string    `json:"token"`
	Owner      string    `json:"owner"`
	TTLS       int       `json:"ttl_s"`
	AcquiredAt time.Time `json:"acquired_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// held is the current lease, nil if none; an expired one is dropped. The
// caller holds mu.
func (t *Table) held() *record {
	if t.cur != nil && !t.cfg.Now().Before(t.cur.ExpiresAt) {
		t.cur = nil
	}
	return t.cur
}

// Holder is who holds the lease now, nil if nobody.
func (t *Table) Holder() *jigapi.Holder {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.held(); r != nil {
		return &jigapi.Holder{Owner: r.Owner, ExpiresAt: r.ExpiresAt}
	}
	return nil
}

// match is the current lease if token is its token. Otherwise: locked if
// another lease is held, not_locked if none. The caller holds mu.
func (t *Table) match(token string) (*record, error) {
	r := t.held()
	switch {
	case r == nil:
		return nil, jigapi.Errorf(jigapi.CodeNotLocked, "no lease is held (it expired or was released): Lock again")
	case subtle.ConstantTimeCompare([]byte(token), []byte(r.Token)) != 1:
		return nil, jigapi.Errorf(jigapi.CodeLocked, "the token is not the current lease's: %s", heldBy(r))
	}
	return r, nil
}

func heldBy(r *record) string {
	return "held by " + quote(r.Owner) + " until " + r.ExpiresAt.UTC().Format(time.RFC3339)
}

func (r *record) lease() jigapi.Lease {
	return jigapi.Lease{Token: r.Token, Owner: r.Owner, AcquiredAt: r.AcquiredAt, ExpiresAt: r.ExpiresAt}
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
