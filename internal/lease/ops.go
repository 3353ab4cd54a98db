package lease

import (
	"fmt"
	"strconv"
	"time"

	"github.com/jigmq/jigmq/jigapi"
)

// MaxOwner is the longest owner name Lock accepts, in bytes.
const MaxOwner = 128

// Lock takes the lease for owner for ttlS seconds if nobody holds it;
// otherwise it is locked, naming the holder and its expiry (whoever the
// owner: the holder renews with its token, it does not lock again).
func (t *Table) Lock(owner string, ttlS int) (jigapi.Lease, error) {
	if err := t.checkLock(owner, ttlS); err != nil {
		return jigapi.Lease{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.held(); r != nil {
		return jigapi.Lease{}, jigapi.Errorf(jigapi.CodeLocked, "%s", heldBy(r))
	}
	now := t.cfg.Now()
	r := &record{Token: newToken(), Owner: owner, TTLS: ttlS, AcquiredAt: now,
		ExpiresAt: now.Add(time.Duration(ttlS) * time.Second)}
	if err := t.commit(r); err != nil {
		return jigapi.Lease{}, err
	}
	return r.lease(), nil
}

func (t *Table) checkLock(owner string, ttlS int) error {
	max := int(t.cfg.MaxTTL / time.Second)
	if err := CheckOwner(owner); err != nil {
		return jigapi.Errorf(jigapi.CodeBadRequest, `"owner" %v`, err)
	}
	if ttlS < 1 || ttlS > max {
		return jigapi.Errorf(jigapi.CodeBadRequest, `"ttl_s" %d out of range: 1 to %d (lease.max_ttl)`, ttlS, max)
	}
	return nil
}

// CheckOwner is Lock's rule for an owner name, for a client to check
// before it asks.
func CheckOwner(owner string) error {
	if owner == "" || len(owner) > MaxOwner || !printable(owner) {
		return fmt.Errorf("must be 1 to %d printable ASCII characters, got %s", MaxOwner, quote(owner))
	}
	return nil
}

// Renew extends token's lease by its TTL from now.
func (t *Table) Renew(token string) (jigapi.Lease, error) {
	if token == "" {
		return jigapi.Lease{}, missingToken
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, err := t.match(token)
	if err != nil {
		return jigapi.Lease{}, err
	}
	next := *r
	next.ExpiresAt = t.cfg.Now().Add(time.Duration(r.TTLS) * time.Second)
	if err := t.commit(&next); err != nil {
		return jigapi.Lease{}, err
	}
	return next.lease(), nil
}

// Unlock releases token's lease.
func (t *Table) Unlock(token string) (jigapi.Released, error) {
	if token == "" {
		return jigapi.Released{}, missingToken
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, err := t.match(token)
	if err != nil {
		return jigapi.Released{}, err
	}
	return t.release(r), nil
}

// ForceUnlock releases the lease, whoever holds it; not_locked if nobody
// does.
func (t *Table) ForceUnlock() (jigapi.Released, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.held()
	if r == nil {
		return jigapi.Released{}, jigapi.Errorf(jigapi.CodeNotLocked, "no lease is held")
	}
	return t.release(r), nil
}

// CheckWrite allows a command that changes the board: only with the
// current lease's token. Without a token it is not_locked; with one that
// is not the current lease's, locked if another is held.
func (t *Table) CheckWrite(command, token string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if token == "" {
		msg := fmt.Sprintf("%s changes the board: it needs the fixture's lease (Lock, then pass its \"token\")",
			quote(command))
		if r := t.held(); r != nil {
			msg += "; the fixture is " + heldBy(r)
		}
		return &jigapi.Error{Code: jigapi.CodeNotLocked, Message: msg}
	}
	_, err := t.match(token)
	return err
}

var missingToken = jigapi.Errorf(jigapi.CodeBadRequest, `missing "token"`)

// release ends r, which is held. A state file that cannot be written then
// keeps the lease on disk until its expiry: safe (held, never handed to
// another), and logged. The caller holds mu.
func (t *Table) release(r *record) jigapi.Released {
	t.cur = nil
	if err := t.store.save(nil); err != nil {
		t.cfg.Log.Error("lease released, but the state file still holds it until it expires", "err", err)
	}
	return jigapi.Released{Owner: r.Owner, AcquiredAt: r.AcquiredAt, ReleasedAt: t.cfg.Now()}
}

// commit makes r the lease once it is on disk. The caller holds mu.
func (t *Table) commit(r *record) error {
	if err := t.store.save(r); err != nil {
		return jigapi.Errorf(jigapi.CodeInternal, "the lease could not be kept: %v", err)
	}
	t.cur = r
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func quote(s string) string { return strconv.Quote(s) }
