package mqmanager_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/jig"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// exampleBroker is the broker the examples use: AMQP_URL, as make test sets it.
func exampleBroker() mqmanager.Broker {
	url := os.Getenv("AMQP_URL")
	if url == "" {
		url = mqmanager.DefaultURL
	}
	return mqmanager.Broker{URLs: []string{url}}
}

// serve runs srv until the returned stop is called, once it consumes.
func serve(srv *mqmanager.Server, ready <-chan struct{}) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.Run(ctx) }()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
	}
	return func() { cancel(); <-done }
}

// A manager serves a method of the contract with one typed function, and a
// client calls it by the same Method value: no method name, no JSON.
func ExampleHandle() {
	serial := "EXAMPLE-" + uuid.NewString()[:8]
	ready := make(chan struct{}, 1)
	srv, err := mqmanager.NewServer(mqmanager.ServerConfig{Broker: exampleBroker(), Serial: serial,
		OnReady: func() { ready <- struct{}{} }})
	if err != nil {
		fmt.Println(err)
		return
	}
	mqmanager.Handle(srv, jigapi.Fib, func(ctx context.Context, a jigapi.FibArgs) (jigapi.FibResult, error) {
		if *a.N > 10 {
			return jigapi.FibResult{}, jigapi.Errorf(jigapi.CodeBadRequest, "n must be at most 10")
		}
		f := []string{"0", "1", "1", "2", "3", "5", "8", "13", "21", "34", "55"}
		return jigapi.FibResult{N: *a.N, Value: f[*a.N]}, nil
	})
	defer serve(srv, ready)()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: exampleBroker()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r, err := mqmanager.Call(ctx, c, serial, jigapi.Fib, jigapi.FibOf(10))
	fmt.Println(r.Value, err)
	_, err = c.Fib(ctx, serial, 11)
	fmt.Println(err.(*mqmanager.RemoteError).Code)
	// Output:
	// 55 <nil>
	// bad_request
}

// Ask a fixture for its status: here a simulated board on a pseudo-terminal,
// read by a jig.Device, served as JigStatus the way jig-manager does.
func ExampleClient_Status() {
	dir, _ := os.MkdirTemp("", "jigmq-example")
	defer os.RemoveAll(dir)
	board, err := sim.Start(filepath.Join(dir, "ttyJIG"), sim.Config{State: "READY"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer board.Close()
	dev, _ := jig.Open(jig.Config{Port: board.Link()}, nil)
	defer dev.Close()

	serial := "EXAMPLE-" + uuid.NewString()[:8]
	ready := make(chan struct{}, 1)
	srv, _ := mqmanager.NewServer(mqmanager.ServerConfig{Broker: exampleBroker(), Serial: serial,
		OnReady: func() { ready <- struct{}{} }})
	mqmanager.Handle(srv, jigapi.JigStatus, func(ctx context.Context, _ jigapi.NoArgs) (jigapi.Status, error) {
		st, err := dev.Status(ctx)
		return jigapi.StatusOf(st), jigapi.BoardError(err)
	})
	defer serve(srv, ready)()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: exampleBroker()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	st, err := c.Status(ctx, serial)
	fmt.Println(st.State, st.Connected, err)
	_, err = c.Status(ctx, "EXAMPLE-NOT-THERE")
	fmt.Println(err)
	// Output:
	// READY true <nil>
	// no fixture EXAMPLE-NOT-THERE on the bus
}

// List the fleet: every manager answers the broadcast Ping once, with its
// own serial. (Other managers on the same broker answer too; the example
// shows its own two.)
func ExampleClient_Discover() {
	prefix := "EXAMPLE-" + uuid.NewString()[:8]
	for _, serial := range []string{prefix + "-A", prefix + "-B"} {
		ready := make(chan struct{}, 1)
		srv, _ := mqmanager.NewServer(mqmanager.ServerConfig{Broker: exampleBroker(), Serial: serial,
			OnReady: func() { ready <- struct{}{} }})
		mqmanager.Handle(srv, jigapi.Ping, func(context.Context, jigapi.NoArgs) (jigapi.PingResult, error) {
			return jigapi.PingResult{Serial: serial, Version: "example"}, nil
		})
		defer serve(srv, ready)()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := mqmanager.Dial(ctx, mqmanager.ClientConfig{Broker: exampleBroker()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	var found []string
	c.Discover(ctx, func(serial string, p jigapi.PingResult, err error) bool {
		if strings.HasPrefix(serial, prefix) && err == nil {
			found = append(found, strings.TrimPrefix(serial, prefix)+" "+p.Version)
		}
		return len(found) < 2 // stop once both answered
	})
	slices.Sort(found)
	fmt.Println(found)
	// Output: [-A example -B example]
}
