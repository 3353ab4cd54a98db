package mqmanager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func echoTutorial(_ context.Context, body []byte) ([]byte, error) { return body, nil }

// TestTutorialQueueLockedFailsStart: a tutorial queue that is another
// manager's exclusive queue fails the start, as an already served serial
// does; before, Run retried the RESOURCE_LOCKED forever and never served
// its own serial. A reserved name (amq.*) fails it too, as it did.
func TestTutorialQueueLockedFailsStart(t *testing.T) {
	other := startServer(t, nil)
	for queue, want := range map[string]error{QueueName(other.serial): ErrTutorialLocked, "amq.bad": ErrAccessRefused} {
		s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{testURL()}}, Serial: uniqueSerial(t),
			TutorialQueue: queue, Tutorial: echoTutorial})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Run(ctxTimeout(t, 10*time.Second))
		if !needsPerson(err) || !strings.Contains(fmt.Sprint(err), queue) ||
			(want == ErrTutorialLocked && !errors.Is(err, want)) {
			t.Errorf("tutorial queue %s: Run returned %v; want %v, naming the queue", queue, err, want)
		}
	}
}

// TestTutorialQueueNameTooLong: a name AMQP cannot carry is refused by
// NewServer; before, every declare failed and Run retried forever.
func TestTutorialQueueNameTooLong(t *testing.T) {
	for n, ok := range map[int]bool{MaxQueueName: true, MaxQueueName + 1: false, 300: false} {
		_, err := NewServer(ServerConfig{Serial: "JIG-1", TutorialQueue: strings.Repeat("q", n), Tutorial: echoTutorial})
		if (err == nil) != ok || (err != nil && !strings.Contains(err.Error(), "longer than 255")) {
			t.Errorf("a %d-byte name: %v", n, err)
		}
	}
}
