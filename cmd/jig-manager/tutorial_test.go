package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestTutorialQueueProblems: --tutorial-queue naming another manager's
// queue exits 1 saying so, as a served serial does; a name longer than
// AMQP carries is a configuration error, exit 2 under its key. Before,
// both retried forever and the manager never served its own serial.
func TestTutorialQueueProblems(t *testing.T) {
	url := testutil.AMQPURL(mqmanager.DefaultURL)
	other := "TQ-" + uuid.NewString()[:12]
	_, stderr := startRun(t, "--serial", other, "--port", "/nonexistent/tty", "--url", url)
	waitServing(t, stderr)
	for queue, code := range map[string]int{mqmanager.QueueName(other): 1, strings.Repeat("q", 300): 2} {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		var errb bytes.Buffer
		err := run(ctx, []string{"--serial", "TQ-" + uuid.NewString()[:12], "--port", "/nonexistent/tty",
			"--url", url, "--tutorial-queue", queue}, &bytes.Buffer{}, &errb)
		cancel()
		want := "compat.tutorial_queue: 300 bytes, longer than 255"
		if code == 1 {
			want = mqmanager.ErrTutorialLocked.Error() + ": " + queue + " is another connection's exclusive queue"
		}
		if exitCode(err) != code || !strings.Contains(err.Error(), want) ||
			(code == 1 && !errors.Is(err, mqmanager.ErrTutorialLocked)) {
			t.Errorf("--tutorial-queue %.20s...: exit %d (%v), want %d saying %q\n%s", queue, exitCode(err), err, code, want, errb.String())
		}
	}
}
