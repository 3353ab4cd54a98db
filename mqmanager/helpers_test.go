package mqmanager

import (
	"context"
	"errors"
	"os"
	"runtime/pprof"
	"sync"

	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jigapi"
	amqp "github.com/rabbitmq/amqp091-go"
)

var allModes = []ReplyMode{ReplyPerRequest, ReplyShared, ReplyDirect}

func testURL() string { return testutil.AMQPURL(DefaultURL) }

// uniqueSerial is a serial no other test run uses.
func uniqueSerial(t testing.TB) string {
	return "T-" + uuid.NewString()[:13]
}

type echoArgs struct {
	Text  string `json:"text"`
	Sleep string `json:"sleep,omitempty"`
}

// testHandlers: Echo decodes strictly and echoes (waiting for its Sleep
// argument or ctx first), Panic panics.
func testHandlers(s *Server) {
	s.Handle("Echo", HandlerFunc(func(ctx context.Context, r *Request) (any, error) {
		var a echoArgs
		if err := r.Decode(&a); err != nil {
			return nil, err
		}
		if a.Sleep != "" {
			d, err := time.ParseDuration(a.Sleep)
			if err != nil {
				return nil, jigapi.Errorf(jigapi.CodeBadRequest, "sleep: %v", err)
			}
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return a, nil
	}))
	s.Handle("Panic", HandlerFunc(func(context.Context, *Request) (any, error) { panic("boom") }))
}

type runningServer struct {
	*Server
	serial   string
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

// startServer runs a server for a fresh serial with testHandlers and waits
// until it consumes. It is stopped, and waited for, at the end of the test.
func startServer(t testing.TB, mod func(*ServerConfig)) *runningServer {
	t.Helper()
	return startServerWith(t, mod, testHandlers)
}

// startServerWith is startServer with the handlers that handle registers;
// mod may also set the serial.
func startServerWith(t testing.TB, mod func(*ServerConfig), handle func(*Server)) *runningServer {
	t.Helper()
	ready := make(chan struct{}, 8)
	cfg := ServerConfig{Broker: Broker{URLs: []string{testURL()}}, Serial: uniqueSerial(t),
		OnReady: func() { notifyNB(ready) }}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handle(s)
	return runServer(t, s, cfg.Serial, ready)
}

// runServer runs s, whose OnReady signals ready, until the end of the test
// (then stops it and waits for it) and waits until it consumes.
func runServer(t testing.TB, s *Server, serial string, ready <-chan struct{}) *runningServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServer{Server: s, serial: serial, cancel: cancel, done: make(chan error, 1)}
	go func() { rs.done <- s.Run(ctx) }()
	t.Cleanup(func() { rs.stop(t) })
	select {
	case <-ready:
	case err := <-rs.done:
		t.Fatalf("server %s ended before it was ready: %v", serial, err)
	case <-time.After(10 * time.Second):
		t.Fatalf("server %s not ready within 10s", serial)
	}
	return rs
}

// stop stops the server and waits for Run to return; it is idempotent.
func (rs *runningServer) stop(t testing.TB) {
	rs.stopOnce.Do(func() {
		rs.cancel()
		select {
		case err := <-rs.done:
			if err != nil {
				t.Errorf("server Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			t.Error("server did not stop within 15s")
		}
	})
}

func dialClient(t testing.TB, mode ReplyMode) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, ClientConfig{Broker: Broker{URLs: []string{testURL()}}, ReplyMode: mode, AppID: "mqmanager-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawChannel is a plain amqp091-go channel for publishing what the client
// never would.
func rawChannel(t testing.TB) *amqp.Channel {
	t.Helper()
	return testutil.RawChannel(t, testURL())
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func wantRemote(t testing.TB, err error, code string) *RemoteError {
	t.Helper()
	var re *RemoteError
	if !errors.As(err, &re) {
		t.Fatalf("want a %s error reply, got %v", code, err)
	}
	if re.Code != code {
		t.Fatalf("want code %s, got %s (%s)", code, re.Code, re.Message)
	}
	return re
}

// notifyNB signals ch without blocking: a hook must never stall a server
// whose test stopped listening.
func notifyNB(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
