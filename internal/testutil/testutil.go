// Package testutil holds what the project's tests share.
package testutil

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer that a command may write while a test reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond until it holds, failing the test, with what was
// awaited, once within has passed. For conditions that have no event.
func WaitFor(t testing.TB, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// AMQPURL is the broker the tests use: $AMQP_URL, or def (the caller's
// default, since this package cannot import mqmanager, whose tests use it).
func AMQPURL(def string) string {
	if u := os.Getenv("AMQP_URL"); u != "" {
		return u
	}
	return def
}
