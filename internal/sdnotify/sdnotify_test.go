package sdnotify

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func TestSendAndWatchdog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := New(path)
	if !n.Enabled() {
		t.Fatal("not enabled")
	}
	if err := n.Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	k, err := conn.Read(buf)
	if err != nil || string(buf[:k]) != "READY=1" {
		t.Fatalf("got %q %v", buf[:k], err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); n.Watchdog(ctx, time.Millisecond, func() bool { return true }) }()
	k, err = conn.Read(buf)
	cancel()
	<-done
	if err != nil || string(buf[:k]) != "WATCHDOG=1" {
		t.Fatalf("got %q %v", buf[:k], err)
	}
}

func TestDisabledAndInterval(t *testing.T) {
	if err := New("").Send("READY=1"); err != nil || New("").Enabled() {
		t.Fatal("empty socket must do nothing")
	}
	env := map[string]string{"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"}
	get := func(k string) string { return env[k] }
	if d, ok := WatchdogInterval(get, 42); !ok || d != 15*time.Second {
		t.Fatalf("interval %v %v", d, ok)
	}
	if _, ok := WatchdogInterval(get, 7); ok {
		t.Fatal("watchdog for another pid")
	}
	env["WATCHDOG_USEC"] = ""
	if _, ok := WatchdogInterval(get, 42); ok {
		t.Fatal("watchdog without WATCHDOG_USEC")
	}
}
