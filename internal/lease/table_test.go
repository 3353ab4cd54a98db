package lease

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
)

func newClock() *testutil.Clock {
	return testutil.NewClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

func newTable(t *testing.T, c *testutil.Clock, path string) *Table {
	t.Helper()
	tb, err := Open(Config{MaxTTL: time.Hour, Path: path, Serial: testSerial, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

const testSerial = "JIG-1"

func wantCode(t *testing.T, err error, code, contains string) {
	t.Helper()
	var e *jigapi.Error
	if !errors.As(err, &e) || e.Code != code || !strings.Contains(e.Message, contains) {
		t.Fatalf("want %s error containing %q, got %v", code, contains, err)
	}
}

func TestLockIsExclusiveUntilUnlock(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, "")
	l, err := tb.Lock("station-1", 60)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Token) != 32 || l.Owner != "station-1" || !l.ExpiresAt.Equal(c.Now().Add(time.Minute)) {
		t.Fatalf("lease %+v", l)
	}
	_, err = tb.Lock("station-2", 60)
	wantCode(t, err, jigapi.CodeLocked, `held by "station-1" until 2030-01-02T03:05:05Z`)
	_, err = tb.Lock("station-1", 60)
	wantCode(t, err, jigapi.CodeLocked, `held by "station-1"`)
	_, err = tb.Unlock("not-the-token")
	wantCode(t, err, jigapi.CodeLocked, "the token is not the current lease's")
	if r, err := tb.Unlock(l.Token); err != nil || r.Owner != "station-1" {
		t.Fatalf("unlock: %+v %v", r, err)
	}
	_, err = tb.Unlock(l.Token)
	wantCode(t, err, jigapi.CodeNotLocked, "no lease is held")
	if _, err := tb.Lock("station-2", 60); err != nil {
		t.Fatal(err)
	}
}

func TestExpiryFreesWithoutACall(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, "")
	l, _ := tb.Lock("station-1", 10)
	c.Advance(9 * time.Second)
	if h := tb.Holder(); h == nil || h.Owner != "station-1" {
		t.Fatalf("holder before expiry: %+v", h)
	}
	c.Advance(time.Second)
	if h := tb.Holder(); h != nil {
		t.Fatalf("holder at expiry: %+v", h)
	}
	_, err := tb.Renew(l.Token)
	wantCode(t, err, jigapi.CodeNotLocked, "expired or was released")
	if _, err := tb.Lock("station-2", 10); err != nil {
		t.Fatal(err)
	}
}

func TestRenewExtendsByTTL(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, "")
	l, _ := tb.Lock("station-1", 10)
	c.Advance(8 * time.Second)
	r, err := tb.Renew(l.Token)
	if err != nil || r.Token != l.Token || !r.ExpiresAt.Equal(c.Now().Add(10*time.Second)) {
		t.Fatalf("renew: %+v %v", r, err)
	}
	c.Advance(8 * time.Second)
	if tb.Holder() == nil {
		t.Fatal("renewed lease expired at its old expiry")
	}
	_, err = tb.Renew("")
	wantCode(t, err, jigapi.CodeBadRequest, `missing "token"`)
}

func TestLockArguments(t *testing.T) {
	tb := newTable(t, newClock(), "")
	for _, tc := range []struct {
		owner string
		ttl   int
		want  string
	}{
		{"", 10, `"owner" must be`}, {"a\nb", 10, `"owner" must be`}, {strings.Repeat("x", 129), 10, `"owner" must be`},
		{"ok", 0, `"ttl_s" 0 out of range: 1 to 3600 (lease.max_ttl)`}, {"ok", 3601, `"ttl_s" 3601`},
	} {
		_, err := tb.Lock(tc.owner, tc.ttl)
		wantCode(t, err, jigapi.CodeBadRequest, tc.want)
	}
}

func TestCheckWrite(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, "")
	wantCode(t, tb.CheckWrite("OUTP ON", ""), jigapi.CodeNotLocked, `"OUTP ON" changes the board: it needs the fixture's lease`)
	wantCode(t, tb.CheckWrite("OUTP ON", "stale"), jigapi.CodeNotLocked, "no lease is held")
	l, _ := tb.Lock("station-1", 10)
	wantCode(t, tb.CheckWrite("OUTP ON", ""), jigapi.CodeNotLocked, `the fixture is held by "station-1"`)
	wantCode(t, tb.CheckWrite("OUTP ON", "stale"), jigapi.CodeLocked, `held by "station-1"`)
	if err := tb.CheckWrite("OUTP ON", l.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.ForceUnlock(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, tb.CheckWrite("OUTP ON", l.Token), jigapi.CodeNotLocked, "no lease is held")
	_, err := tb.ForceUnlock()
	wantCode(t, err, jigapi.CodeNotLocked, "no lease is held")
}

// TestRaceOneWinner: of many concurrent Locks, exactly one wins.
func TestRaceOneWinner(t *testing.T) {
	tb := newTable(t, newClock(), "")
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := tb.Lock("s"+string(rune('a'+i)), 10); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d winners", wins)
	}
}
