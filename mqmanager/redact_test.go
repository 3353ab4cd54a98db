package mqmanager

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestUnparsableURLNotShown: a URL that does not parse would be quoted
// whole by the parser's error, password and all; ours says so without it.
func TestUnparsableURLNotShown(t *testing.T) {
	const raw = "amqp://user:Pw-zz%zz-secret@127.0.0.1:1/"
	err := ValidateURL(raw)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("ValidateURL: %v", err)
	}
	_, err = Dial(ctxTimeout(t, 3*time.Second), ClientConfig{Broker: Broker{URLs: []string{raw}}})
	if !errors.Is(err, ErrBrokerUnreachable) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("Dial: %v", err)
	}
	if !strings.Contains(err.Error(), "does not parse") {
		t.Fatalf("Dial: %v; want it to say the URL does not parse", err)
	}
}
