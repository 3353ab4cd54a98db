package mqmanager

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// dialError is a failed connection attempt. Its message names the URL with
// the password hidden (redactErr); it wraps ErrBrokerUnreachable,
// errVhostRefused for a user refused the vhost, and the cause, but for a
// URL that does not parse (so errors.As finds e.g. an x509 error, and Run
// the broker's refusal of our login, whatever the message says).
type dialError struct {
	msg          string
	cause        error
	vhostRefused bool
}

func (e *dialError) Error() string { return e.msg }

func (e *dialError) Unwrap() []error {
	errs := []error{ErrBrokerUnreachable}
	if e.vhostRefused {
		errs = append(errs, errVhostRefused)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// errVhostRefused: the broker let our user log in but refused it the URL's
// vhost (530 NOT_ALLOWED on connection.open): the user has no permissions
// there, or there is no such vhost. A retry fixes neither.
var errVhostRefused = errors.New("vhost refused")

// RabbitMQ's reasons for those refusals. Its other 530s on connection.open
// are not matched, as they pass with time: a vhost's or a user's connection
// limit reached ("access to vhost '/' refused for user 'u': connection
// limit (N) is reached", "connection refused for user 'u': user connection
// limit (N) is reached") and a vhost that is down. Compiled on first use,
// not at every process start.
var vhostRefusals = sync.OnceValues(func() (noAccess, notFound *regexp.Regexp) {
	return regexp.MustCompile(`^NOT_ALLOWED - access to vhost '(.*)' refused for user '(.*)'$`),
		regexp.MustCompile(`^NOT_ALLOWED - vhost (.*) not found$`)
})

// explainVhost says what was refused and what to do when err is one of the
// broker's vhost refusals; ok is false for any other error.
func explainVhost(err error) (_ error, ok bool) {
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.NotAllowed || !ae.Server {
		return err, false
	}
	vhostNoAccess, vhostNotFound := vhostRefusals()
	if m := vhostNoAccess.FindStringSubmatch(ae.Reason); m != nil {
		return fmt.Errorf("%w: user %q has no access to vhost %q (grant it permissions there: "+
			"deploy/rabbitmq/add-fixture.sh for a fixture's user, or rabbitmqctl set_permissions -p VHOST USER ...): %w",
			errVhostRefused, m[2], m[1], err), true
	}
	if m := vhostNotFound.FindStringSubmatch(ae.Reason); m != nil {
		return fmt.Errorf("%w: the broker has no vhost %q (check the path of the broker URL: "+
			"amqp://host:5672/ is the vhost \"/\"): %w", errVhostRefused, m[1], err), true
	}
	return err, false
}

// dialFailed wraps a dial's error for rawURL, with td's explanation of a
// TLS refusal (td is nil for a plain URL), or hs's of a broker that sent
// nothing. A dial abandoned because its context was cancelled is not an
// unreachable broker: it wraps the context's error.
func dialFailed(rawURL string, b Broker, err error, td *tlsDialer, hs *handshake) error {
	reason, abandoned := hs.silence(err)
	if abandoned {
		return fmt.Errorf("%s: %w", Redact(rawURL), reason)
	}
	if reason == nil && hs.ranOut(err) {
		return &ConnectTimeoutError{URL: Redact(rawURL), Had: hs.timeLeft()}
	}
	if reason == nil && hs.loginStalled(err) {
		reason = fmt.Errorf("the login was not accepted within the time left (%v): too short a time, "+
			"a wrong user or password (RabbitMQ refuses those only after 3 s), or a broker too busy to answer", hs.timeLeft())
	}
	if reason != nil {
		err = reason
	} else {
		err = explain(err, td, rawURL)
	}
	if errors.Is(err, amqp.ErrCredentials) {
		err = fmt.Errorf("login refused: %w", err)
		if b.External {
			err = fmt.Errorf("%w (x509 login: the broker has no user named as our certificate's "+
				"common name, or takes the name from another field: see its ssl_cert_login_from)", err)
		}
	}
	err, vhost := explainVhost(err)
	msg, clean := redactErr(err, rawURL)
	e := &dialError{msg: fmt.Sprintf("%v: %s: %s", ErrBrokerUnreachable, Redact(rawURL), msg), vhostRefused: vhost}
	if clean {
		e.cause = err
	}
	return e
}

// explain replaces amqp091-go's vague account of a connection the broker
// closed after the TLS handshake with the broker's alert, and adds a hint
// to a plain URL that reached a TLS port.
func explain(err error, td *tlsDialer, rawURL string) error {
	var te *tlsError
	if errors.As(err, &te) {
		return err
	}
	if alert := td.refusal(); alert != nil {
		return &tlsError{addr: td.addr, err: alert, withCert: hasCert(td.cfg)}
	}
	var ae *amqp.Error
	if td == nil && strings.HasPrefix(rawURL, "amqp:") && errors.As(err, &ae) && ae.Code == amqp.FrameError {
		return fmt.Errorf("%w (the broker's answer is not AMQP: if this is its TLS port, use amqps://)", err)
	}
	return err
}

// tlsError is a failed TLS handshake, or the broker's refusal right after.
type tlsError struct {
	addr     string
	err      error
	withCert bool // we had a client certificate to offer
}

func (e *tlsError) Error() string {
	msg := fmt.Sprintf("TLS handshake with %s failed: %v", e.addr, e.err)
	if h := tlsHint(e.err, e.withCert); h != "" {
		msg += " (" + h + ")"
	}
	return msg
}

func (e *tlsError) Unwrap() error { return e.err }

func isRemoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// tlsHint says what to check for a TLS failure, or "".
func tlsHint(err error, withCert bool) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		notTLS    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "the broker's certificate is not signed by a CA we trust: check the CA file"
	case errors.As(err, &hostname):
		return "the broker's certificate is not for this host name: use a name it lists, or set the TLS server name"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the broker's certificate has expired or is not valid yet: renew it, or check this machine's clock"
	case errors.As(err, &notTLS):
		return "this port does not speak TLS: use the broker's amqps port (5671), or amqp:// for a plain one"
	case isRemoteAlert(err):
		return alertHint(err.Error(), withCert)
	}
	return ""
}

// alertHint reads the alert the broker sent (Go's names for them).
func alertHint(alert string, withCert bool) string {
	switch {
	case strings.Contains(alert, "certificate required") && withCert:
		return "the broker requires a client certificate from a CA it trusts, and ours is not from one, so none was sent"
	case strings.Contains(alert, "certificate required"):
		return "the broker requires a client certificate: configure a certificate and key"
	case strings.Contains(alert, "expired certificate"):
		return "the broker refused our client certificate: it has expired or is not valid yet"
	case strings.Contains(alert, "unknown certificate authority"):
		return "the broker refused our client certificate: it does not trust the CA that signed it"
	case strings.Contains(alert, "certificate"):
		return "the broker refused our client certificate"
	case strings.Contains(alert, "handshake failure"):
		return "the broker refused the handshake: a missing client certificate, or no TLS version or cipher in common"
	}
	return ""
}

// redactErr is err's message with rawURL, wherever the message quotes it,
// shown as Redact shows it, and whether err may be kept as the cause (for
// errors.Is/As: classification is made on the error values, never on this
// text). The password is never searched for in free text: a short one
// ("a", "e") is in every sentence, and masking it there garbles the
// message, lets the pattern of the masks spell the password out, and
// hides the broker's words from anything that reads them. A URL that does
// not parse is quoted by the parser's error in a form of its own, so that
// message is replaced by a fixed one, and that cause dropped.
func redactErr(err error, rawURL string) (string, bool) {
	if _, perr := url.Parse(rawURL); perr != nil {
		return "the URL does not parse (not shown, as it may hold a password; reserved characters " +
			"and % in a user name or password must be percent-encoded)", false
	}
	return redactQuotedURL(err.Error(), rawURL), true
}

// redactQuotedURL is msg with rawURL, as written or Go-quoted (as net/url's
// errors quote it), replaced by its redacted form.
func redactQuotedURL(msg, rawURL string) string {
	shown := Redact(rawURL)
	if shown == rawURL {
		return msg
	}
	quoted := strconv.Quote(rawURL)
	msg = strings.ReplaceAll(msg, quoted[1:len(quoted)-1], shown)
	return strings.ReplaceAll(msg, rawURL, shown)
}
