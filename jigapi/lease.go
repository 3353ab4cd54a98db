package jigapi

import "time"

// The lease methods. A fixture has at most one lease, held by one owner
// until it is unlocked or expires by itself; commands that change the
// board need its token. None is served on broadcasts: one request must
// never lock, or unlock, every fixture on the floor.
var (
	Lock = define[LockArgs, Lease]("Lock",
		"take the fixture's lease for ttl_s seconds, if nobody holds it")
	Renew = define[TokenArgs, Lease]("Renew",
		"extend the lease of token by its TTL from now")
	Unlock = define[TokenArgs, Released]("Unlock",
		"release the lease of token")
	ForceUnlock = define[NoArgs, Released]("ForceUnlock",
		"release whoever's lease the fixture has: for security.admin_users")
)

// LockArgs is Lock's argument.
type LockArgs struct {
	Owner string `json:"owner"` // who takes it, e.g. station-3 or user@host: 1 to 128 printable characters
	TTLS  int    `json:"ttl_s"` // seconds until it expires by itself: 1 to the manager's lease.max_ttl
}

// TokenArgs names a lease by its token.
type TokenArgs struct {
	Token string `json:"token"`
}

// Lease is a lease as its holder sees it: Lock's and Renew's result.
type Lease struct {
	Token      string    `json:"token"`       // the secret that proves the holder; needed to write, renew and unlock
	Owner      string    `json:"owner"`       // as given to Lock
	AcquiredAt time.Time `json:"acquired_at"` // when Lock took it
	ExpiresAt  time.Time `json:"expires_at"`  // when it ends by itself unless renewed
}

// Released is Unlock's and ForceUnlock's result: the lease that ended.
type Released struct {
	Owner      string    `json:"owner"`
	AcquiredAt time.Time `json:"acquired_at"`
	ReleasedAt time.Time `json:"released_at"`
}

// Holder is who holds a fixture's lease, as Ping and JigStatus show it
// (without the token).
type Holder struct {
	Owner     string    `json:"owner"`
	ExpiresAt time.Time `json:"expires_at"`
}
