// permcheck exercises the jigmq RabbitMQ permission model against a live
// broker: it logs in as a fixture user and as a controller user and checks,
// operation by operation, that what the wire contract needs is allowed and
// that the things a compromised fixture or controller must not do are
// refused. It is a test tool for deploy/rabbitmq/check.sh, not part of any
// binary (make build builds ./cmd/... only; go vet and go build ./... keep
// it compiling); run it with
//
//	FIXTURE_PASSWORD=... CONTROLLER_PASSWORD=... go run ./deploy/rabbitmq/permcheck \
//	    -serial TEST-1234 -controller jig-ctl-TEST-1234 [-url amqp://127.0.0.1:5672/] [-other OTHER]
//
// Passwords come from the environment so they stay off the command line.
// It prints one line per check and exits 1 if any check fails.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	os.Exit(run())
}

// run parses the flags, logs in as both users and runs the checks. It
// returns the exit code: 0 if all passed, 1 if any check or the setup
// failed, 2 on bad usage.
func run() int {
	base := flag.String("url", "amqp://127.0.0.1:5672/", "broker URL without credentials (the vhost is its path)")
	serial := flag.String("serial", "", "fixture serial; the fixture user is jig-<serial>")
	other := flag.String("other", "OTHER-0000", "a serial that is not this fixture's")
	ctlUser := flag.String("controller", "jig-controller", "controller user name")
	flag.Parse()
	fixPass, ctlPass := os.Getenv("FIXTURE_PASSWORD"), os.Getenv("CONTROLLER_PASSWORD")
	if *serial == "" || fixPass == "" || ctlPass == "" {
		fmt.Fprintln(os.Stderr, "permcheck: need -serial and FIXTURE_PASSWORD, CONTROLLER_PASSWORD in the environment")
		return 2
	}
	fix, err := dial(*base, "jig-"+*serial, fixPass)
	if err != nil {
		fmt.Fprintln(os.Stderr, "permcheck:", err)
		return 1
	}
	defer fix.conn.Close()
	ctl, err := dial(*base, *ctlUser, ctlPass)
	if err != nil {
		fmt.Fprintln(os.Stderr, "permcheck:", err)
		return 1
	}
	defer ctl.conn.Close()
	c := &checker{fix: fix, ctl: ctl, serial: *serial, other: *other, queue: "jig." + *serial}
	return c.run()
}

// checker runs the checks in order, as the fixture and the controller
// user, and counts the ones that fail.
type checker struct {
	fix, ctl *session
	serial   string // the fixture's serial; its user is jig-<serial>
	other    string // a serial that is not this fixture's
	queue    string // the fixture's request queue, jig.<serial>
	failed   int

	// The controller's reply queue, set up by controllerReplyQueue.
	cch     *amqp.Channel
	replyQ  string
	replies <-chan amqp.Delivery
	returns <-chan amqp.Return
}

// run runs the check groups in order, prints the verdict and returns the
// exit code. A failed setup step ends it early with 1 and no verdict.
func (c *checker) run() int {
	if !c.startManager() {
		return 1
	}
	c.fixtureQueues()
	c.fixturePublishes()
	if !c.controllerReplyQueue() {
		return 1
	}
	c.perRequestQueue()
	c.controllerRoundTrips()
	c.directReplyTo()
	c.controllerLimits()
	c.knownGap()
	if c.failed > 0 {
		fmt.Printf("permcheck: %d check(s) FAILED\n", c.failed)
		return 1
	}
	fmt.Println("permcheck: all checks passed")
	return 0
}

// expect records one check: wantOK says whether the operation should have
// been allowed; err is its outcome.
func (c *checker) expect(name string, wantOK bool, err error) {
	var ae *amqp.Error
	switch {
	case wantOK && err == nil:
		fmt.Printf("ok    allowed  %s\n", name)
	case !wantOK && errors.As(err, &ae) && (ae.Code == amqp.AccessRefused || ae.Code == amqp.PreconditionFailed):
		fmt.Printf("ok    refused  %s (%d %s)\n", name, ae.Code, ae.Reason)
	case wantOK:
		c.failed++
		fmt.Printf("FAIL  %s: want allowed, got %v\n", name, err)
	default:
		c.failed++
		fmt.Printf("FAIL  %s: want refused (403/406), got %v\n", name, err)
	}
}

// check runs op as s on a fresh channel and records the outcome.
func (c *checker) check(name string, wantOK bool, s *session, op func(ch *amqp.Channel) error) {
	c.expect(name, wantOK, s.try(op))
}
