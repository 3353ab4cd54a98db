package mqmanager

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
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
// error and in a dial's, which never reaches a broker.
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
		// None reaches a broker: "amqp:/user:pw@host/" would reach
		// localhost, whose refusal would quote the vhost, password and all.
		_, err := Dial(ctxTimeout(t, 3*time.Second), ClientConfig{Broker: Broker{URLs: []string{raw}}})
		if err == nil || strings.Contains(err.Error(), "s3") || errors.Is(err, errVhostRefused) {
			t.Errorf("Dial(%q): %v", raw, err)
		}
	}
}

// shortPasswords are passwords whose text is in every message: masking the
// password's text wherever it occurs garbled the messages ("thxxxxx login
// was not accxxxxxptxxxxxd"), spelled the password out by the pattern of
// the masks, and hid the broker's refusal from Run, which then retried a
// wrong password forever.
var shortPasswords = []string{"a", "e", "wrong", "broker"}

// withPassword is the test broker's URL with its password replaced.
func withPassword(t *testing.T, pw string) string {
	t.Helper()
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String()
}

// TestRedactLeavesMessageWhole: a dial's error names the URL with its
// password masked, and the rest of its message as it was; a URL quoted
// whole in a message is masked; the error still wraps the broker's.
func TestRedactLeavesMessageWhole(t *testing.T) {
	for _, pw := range shortPasswords {
		raw := "amqp://guest:" + pw + "@127.0.0.1:5672/"
		err := dialFailed(raw, Broker{}, amqp.ErrCredentials, nil, nil)
		want := "broker unreachable: amqp://guest:xxxxx@127.0.0.1:5672/: login refused: " + amqp.ErrCredentials.Error()
		if err.Error() != want || !isAccessRefused(err) {
			t.Errorf("password %q: %v (access refused: %v), want %s", pw, err, isAccessRefused(err), want)
		}
		quoted := fmt.Errorf("parse %q: a reason", raw)
		if got, _ := redactErr(quoted, raw); got != `parse "amqp://guest:xxxxx@127.0.0.1:5672/": a reason` {
			t.Errorf("password %q: a message quoting the URL redacted to %s", pw, got)
		}
	}
}

// TestWrongPasswordRefusedWhole: with the real broker, a wrong password,
// whatever its text, is a login refused, said whole, without the password;
// Run returns it rather than retrying, and a dial cut short before the
// broker answers says so whole.
func TestWrongPasswordRefusedWhole(t *testing.T) {
	for _, pw := range shortPasswords {
		t.Run(pw, func(t *testing.T) {
			t.Parallel()
			raw := withPassword(t, pw)
			s, err := NewServer(ServerConfig{Broker: Broker{URLs: []string{raw}}, Serial: uniqueSerial(t)})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Run(ctxTimeout(t, 20*time.Second))
			wantWhole(t, err, `login refused: Exception (403) Reason: "username or password not allowed"`, raw, pw)
			if !isAccessRefused(err) {
				t.Errorf("Run: %v; want access refused", err)
			}
			_, err = Dial(ctxTimeout(t, time.Second), ClientConfig{Broker: Broker{URLs: []string{raw}}})
			wantWhole(t, err, ": the login was not accepted within the time left (", raw, pw)
			wantWhole(t, err, "a wrong user or password (RabbitMQ refuses those only after 3 s), "+
				"or a broker too busy to answer", raw, pw)
		})
	}
}

// wantWhole fails the test unless err says want and names raw redacted,
// with no "xxxxx" anywhere else and no ":pw@".
func wantWhole(t *testing.T, err error, want, raw, pw string) {
	t.Helper()
	msg := fmt.Sprint(err)
	if !strings.Contains(msg, want) || !strings.Contains(msg, Redact(raw)) ||
		strings.Count(msg, "xxxxx") != 1 || strings.Contains(msg, ":"+pw+"@") {
		t.Errorf("password %q: %s\nwant it to say %s, with the URL redacted and nothing else masked", pw, msg, want)
	}
}
