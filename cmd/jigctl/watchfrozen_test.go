package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/internal/manager"
	"github.com/jigmq/jigmq/internal/testutil"
)

// TestWatchFrozenLink: the broker link freezes (a paused broker: open,
// carrying nothing, no new connection accepted). The fixture turns stale,
// then reads time out while jigctl cannot know the link is dead; once its
// heartbeats tell it (in about 7.5 s), both fixtures (the other one's
// requests go unanswered, so it was timeout all along) are
// broker_unreachable, and stay so round after round, although each round
// dials anew, its TCP connect hanging until the deadline, and the other
// fixture's read waits for that dial: neither flaps back to timeout.
func TestWatchFrozenLink(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), fastEvents)
	silent := silentQueue(t)
	p, url := testutil.NewProxy(t, testURL(), testutil.AcceptQueueOfOne)
	var out tty
	_, done := startWatch(t, &out, "--url", url, "--interval", "50ms", "--timeout", "300ms", f.serial, silent) // its --url: the proxy
	waitOutput(t, &out.syncBuffer, f.serial+"  READY\n", done)
	p.Pause()
	waitOutput(t, &out.syncBuffer, f.serial+"  timeout -> broker_unreachable", done)
	waitOutput(t, &out.syncBuffer, silent+"  timeout -> broker_unreachable", done)
	lost := lastRound(out.String())
	waitFor(t, &out.syncBuffer, done, "ten more rounds", func(s string) bool { return lastRound(s) >= lost+10 })
	s := out.String()
	if strings.Contains(s, "broker_unreachable -> ") {
		t.Errorf("after broker_unreachable, watch did not stay so:\n%s", s[strings.LastIndex(s, clearScreen):])
	}
}

var roundRE = regexp.MustCompile(`round (\d+) at`)

// lastRound is the round of the terminal display's latest redraw.
func lastRound(s string) int {
	m := roundRE.FindAllStringSubmatch(s, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// TestWatchEventLinkLost: a fixture followed by events (its heartbeat
// 10 s: stale only after 30 s) shows READY; watch's link to the broker
// freezes. Once watch knows its event link is lost (1.5 of its 5 s
// heartbeats), the row no longer claims READY: it is broker_unreachable
// at once (via "lost"), not READY until the fixture would turn stale.
func TestWatchEventLinkLost(t *testing.T) {
	f := startFixtureWith(t, uniqueSerial(), func(c *manager.Config) {
		fastEvents(c)
		c.Events.Heartbeat = 10 * time.Second
	})
	p, url := testutil.NewProxy(t, testURL(), testutil.AcceptQueueOfOne)
	var out tty
	_, done := startWatch(t, &out, "--url", url, "--interval", "100ms", "--timeout", "300ms", f.serial) // its --url: the proxy
	waitFor(t, &out.syncBuffer, done, "READY, followed by events", func(s string) bool {
		return regexp.MustCompile(regexp.QuoteMeta(f.serial) + ` +READY .* events `).MatchString(s[max(strings.LastIndex(s, clearScreen), 0):])
	})
	p.Pause()
	waitOutput(t, &out.syncBuffer, f.serial+"  READY -> broker_unreachable", done)
	if s := out.String(); strings.Contains(s, "READY -> stale") {
		t.Errorf("the row went stale before the lost link was told:\n%s", s[max(strings.LastIndex(s, clearScreen), 0):])
	}
}
