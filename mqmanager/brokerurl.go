package mqmanager

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// A broker URL's rules: how it is checked before a dial, and how it is
// shown (never with its password), whatever shape it is mistyped into.

// Redact returns the URL with its password replaced by "xxxxx", for logs and
// error messages. A URL that does not parse is replaced whole.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "<unparsable URL>"
	}
	if mistyped(u) {
		masked, _ := looseUserinfo(rawURL)
		return masked
	}
	return u.Redacted()
}

// mistyped reports a URL that is no absolute one with a host
// ("amqp//user:pw@host/", "user:pw@host"): url.Parse takes it as a path,
// its user and password included, which Redacted leaves whole.
func mistyped(u *url.URL) bool { return u.Scheme == "" || u.Host == "" }

// opaqueURL refuses a URL with a scheme but no "//" ("amqp:broker-1"),
// which amqp091-go takes as one to localhost: a mistyped URL would reach
// another broker than the one meant. So with a user before an "@" and one
// slash ("amqp:/user:pw@host/"), which amqp091-go also takes as one to
// localhost, its vhost the rest: the broker's refusal would quote that
// vhost, password and all, in a form no URL redaction matches.
func opaqueURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err == nil && (u.Opaque != "" || (u.Scheme != "" && u.Host == "" && strings.Contains(u.Path, "@"))) {
		return fmt.Errorf("broker URL %s: no host: write amqp://HOST[:PORT]/ (or amqps://)", Redact(rawURL))
	}
	return nil
}

// leadingScheme is what stands before a URL's user where its scheme is
// mistyped ("amqp//", "amqp:/"): letters, an optional colon, slashes.
var leadingScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:?/+`)

// looseUserinfo masks the password of a mistyped URL: everything between
// the first colon of the user part and the last "@". It returns the masked
// URL and the password it masked ("" if none).
func looseUserinfo(raw string) (masked, password string) {
	at := strings.LastIndex(raw, "@")
	if at < 0 {
		return raw, ""
	}
	lead := leadingScheme.FindString(raw[:at])
	user := raw[len(lead):at]
	c := strings.Index(user, ":")
	if c < 0 {
		return raw, ""
	}
	return lead + user[:c] + ":xxxxx" + raw[at:], user[c+1:]
}

// ValidateURL checks an AMQP URL without connecting.
func ValidateURL(rawURL string) error {
	if err := opaqueURL(rawURL); err != nil {
		return err
	}
	if _, err := amqp.ParseURI(rawURL); err != nil {
		msg, _ := redactErr(err, rawURL)
		return fmt.Errorf("broker URL %s: %s", Redact(rawURL), msg)
	}
	return nil
}
