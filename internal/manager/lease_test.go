package manager

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

// TestLockRace: two stations race for the fixture, 100 rounds; exactly one
// wins each, and the loser is told who holds it.
func TestLockRace(t *testing.T) {
	f := startFixture(t, nil)
	other := dial(t)
	for round := range 100 {
		var wg sync.WaitGroup
		leases := make([]jigapi.Lease, 2)
		errs := make([]error, 2)
		for i, c := range []*fixture{f, {serial: f.serial, client: other}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				leases[i], errs[i] = call(t, c, jigapi.Lock, jigapi.LockArgs{Owner: []string{"station-a", "station-b"}[i], TTLS: 60})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: not exactly one winner: %v, %v", round, errs[0], errs[1])
		}
		win, lose := 0, 1
		if errs[0] != nil {
			win, lose = 1, 0
		}
		wantCode(t, errs[lose], jigapi.CodeLocked)
		if _, err := call(t, f, jigapi.Unlock, jigapi.TokenArgs{Token: leases[win].Token}); err != nil {
			t.Fatalf("round %d: unlock: %v", round, err)
		}
	}
}

// TestLeaseExpiresByItself: with the clock past the expiry, another
// station locks without anyone unlocking; renew moves the expiry.
func TestLeaseExpiresByItself(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	f := startFixture(t, func(c *Config) { c.Lease.Clock = clk.Now })
	l, err := call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-a", TTLS: 30})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(20 * time.Second)
	r, err := call(t, f, jigapi.Renew, jigapi.TokenArgs{Token: l.Token})
	if err != nil || !r.ExpiresAt.Equal(clk.Now().Add(30*time.Second)) {
		t.Fatalf("renew: %+v %v", r, err)
	}
	clk.Advance(20 * time.Second)
	_, err = call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-b", TTLS: 30})
	wantCode(t, err, jigapi.CodeLocked)
	if p, _ := call(t, f, jigapi.Ping, jigapi.NoArgs{}); p.Lease == nil || p.Lease.Owner != "station-a" {
		t.Fatalf("ping's lease: %+v", p.Lease)
	}
	clk.Advance(10 * time.Second)
	if st, _ := f.status(t); st.Lease != nil {
		t.Fatalf("status shows an expired lease: %+v", st.Lease)
	}
	if _, err := call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-b", TTLS: 30}); err != nil {
		t.Fatalf("lock after expiry: %v", err)
	}
	_, err = call(t, f, jigapi.Renew, jigapi.TokenArgs{Token: l.Token})
	wantCode(t, err, jigapi.CodeLocked)
}

// TestWritesNeedTheLease: a write without a token or with a stale one is
// refused and never reaches the board; with the token it does.
func TestWritesNeedTheLease(t *testing.T) {
	f := startFixture(t, allowOutputs)
	n := f.board.Queries()
	_, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON"})
	wantRefused(t, f, n, err, jigapi.CodeNotLocked, `"OUTP ON" changes the board: it needs the fixture's lease`)
	old, _ := call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-a", TTLS: 60})
	call(t, f, jigapi.Unlock, jigapi.TokenArgs{Token: old.Token})
	_, err = call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON", Token: old.Token})
	wantRefused(t, f, n, err, jigapi.CodeNotLocked, "no lease is held")
	l, _ := call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-b", TTLS: 60})
	_, err = call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON", Token: old.Token})
	wantRefused(t, f, n, err, jigapi.CodeLocked, `the token is not the current lease's: held by "station-b" until`)
	_, err = call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON"})
	wantRefused(t, f, n, err, jigapi.CodeNotLocked, `the fixture is held by "station-b"`)
	if f.board.Output() {
		t.Fatal("the output is on before any allowed write")
	}
	if r, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON", Token: l.Token}); err != nil || r.Answer != "OK" {
		t.Fatalf("write with the token: %+v %v", r, err)
	}
	if !f.board.Output() {
		t.Fatal("the board's output did not change")
	}
	if r, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP?"}); err != nil || r.Answer != "ON" {
		t.Fatalf("read without a token: %+v %v", r, err)
	}
}

// TestLeaseSurvivesRestart: a second manager on the same state file keeps
// the lease: the other station is refused, the holder's token writes.
func TestLeaseSurvivesRestart(t *testing.T) {
	state := filepath.Join(t.TempDir(), "lease.json")
	f := startFixture(t, func(c *Config) { allowOutputs(c); c.Lease.StateFile = state })
	l, err := call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-a", TTLS: 600})
	if err != nil {
		t.Fatal(err)
	}
	f.stop()
	f.stop = runManager(t, f.cfg)
	_, err = call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-b", TTLS: 60})
	wantCode(t, err, jigapi.CodeLocked)
	if r, err := call(t, f, jigapi.Query, jigapi.QueryArgs{Command: "OUTP ON", Token: l.Token}); err != nil || r.Answer != "OK" {
		t.Fatalf("the holder's write after the restart: %+v %v", r, err)
	}
}

// TestForceUnlockAdmin: only security.admin_users may force; the guest
// user of the test broker is the caller.
func TestForceUnlockAdmin(t *testing.T) {
	for users, code := range map[string]string{"guest": "", "root": jigapi.CodeForbidden} {
		f := startFixture(t, func(c *Config) { c.Security.AdminUsers = []string{users} })
		_, err := call(t, f, jigapi.ForceUnlock, jigapi.NoArgs{})
		if code == "" {
			wantCode(t, err, jigapi.CodeNotLocked)
		}
		call(t, f, jigapi.Lock, jigapi.LockArgs{Owner: "station-a", TTLS: 60})
		r, err := call(t, f, jigapi.ForceUnlock, jigapi.NoArgs{})
		switch {
		case code != "":
			wantCode(t, err, code)
		case err != nil || r.Owner != "station-a":
			t.Fatalf("force: %+v %v", r, err)
		}
	}
}

// TestLeaseStateOfAnotherSerial: a manager pointed at another fixture's
// state file does not start (New says whose the file is, as a
// *LeaseStateError), and never writes the file, so the other fixture's
// lease survives: its manager restarts with it.
func TestLeaseStateOfAnotherSerial(t *testing.T) {
	state := filepath.Join(t.TempDir(), "lease.json")
	c := startFixture(t, func(cfg *Config) { cfg.Lease.StateFile = state })
	if _, err := call(t, c, jigapi.Lock, jigapi.LockArgs{Owner: "owner-of-C", TTLS: 600}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(state)
	other := c.cfg
	other.Serial = "M-" + uuid.NewString()[:12]
	_, err := New(other, "test", slog.New(slog.DiscardHandler), Hooks{})
	var se *LeaseStateError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "lease.state_file: ") ||
		!strings.Contains(err.Error(), `serial "`+c.serial+`"`) {
		t.Fatalf("New with another serial's state file: %v", err)
	}
	if after, _ := os.ReadFile(state); !bytes.Equal(before, after) {
		t.Fatalf("the state file changed:\n%s\nto\n%s", before, after)
	}
	c.stop()
	c.stop = runManager(t, c.cfg)
	if p, _ := call(t, c, jigapi.Ping, jigapi.NoArgs{}); p.Lease == nil || p.Lease.Owner != "owner-of-C" {
		t.Fatalf("the fixture's own lease after its restart: %+v", p.Lease)
	}
}
