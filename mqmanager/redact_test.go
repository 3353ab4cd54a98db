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

// TestMistypedURLPasswordNotShown: a URL whose scheme is mistyped is no
// absolute URL to url.Parse, which takes it whole as a path, password and
// all; its password is masked all the same, in Redact, in ValidateURL's
// error and in a dial's.
func TestMistypedURLPasswordNotShown(t *testing.T) {
	for raw, want := range map[string]string{
		"amqp//guest:s3cret@127.0.0.1/":    "amqp//guest:xxxxx@127.0.0.1/",
		"amqp:/guest:s3cret@127.0.0.1/":    "amqp:/guest:xxxxx@127.0.0.1/",
		"guest:s3cret@127.0.0.1":           "guest:xxxxx@127.0.0.1",
		"guest:s3:cr/et@127.0.0.1:5672":    "guest:xxxxx@127.0.0.1:5672",
		"amqp:guest:s3cret@127.0.0.1":      "amqp:xxxxx@127.0.0.1",
		"amqp://guest:s3cret@127.0.0.1:1/": "amqp://guest:xxxxx@127.0.0.1:1/",
		"127.0.0.1:5672":                   "<unparsable URL>",
	} {
		if got := Redact(raw); got != want {
			t.Errorf("Redact(%q) = %q, want %q", raw, got, want)
		}
		if err := ValidateURL(raw); err != nil && strings.Contains(err.Error(), "s3") {
			t.Errorf("ValidateURL(%q): %v", raw, err)
		}
		_, err := Dial(ctxTimeout(t, 3*time.Second), ClientConfig{Broker: Broker{URLs: []string{raw}}})
		if err == nil || strings.Contains(err.Error(), "s3") {
			t.Errorf("Dial(%q): %v", raw, err)
		}
	}
}
