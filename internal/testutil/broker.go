package testutil

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// DefaultAMQPURL is the broker the tests use when AMQP_URL is not set: the
// development machine's, as make test brings it up.
const DefaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/"

// BrokerUp reports why nothing answers on AMQP_URL's host and port, or nil
// when something does.
func BrokerUp() error {
	raw := AMQPURL(DefaultAMQPURL)
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("AMQP_URL does not parse: %w", err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5672")
	}
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		return fmt.Errorf("no RabbitMQ broker answers on %s (AMQP_URL): %w", host, err)
	}
	return c.Close()
}

// RequireBroker ends a test binary whose tests need the broker with one
// message, instead of a cascade of failures, when none answers.
func RequireBroker() {
	if err := BrokerUp(); err != nil {
		fmt.Fprintf(os.Stderr, "%v\nThese tests need RabbitMQ: run `make test`, which starts the local broker "+
			"(or installs Debian's rabbitmq-server), or set AMQP_URL to one.\n", err)
		os.Exit(1)
	}
}
