package manager

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/internal/testutil"
	"github.com/jigmq/jigmq/jig/sim"
	"github.com/jigmq/jigmq/jigapi"
)

// TestStopDuringRead: a manager stopped while a status request waits for
// a silent board (query_timeout 10 s, the request's deadline 15 s) waits
// shutdown_grace for it, then replies internal saying that the manager
// stopped (not "context canceled", nor serial_timeout: the board was not
// given its time), stops within the grace and the link's close, and does
// not warn of a serial port "lost" for the close it made itself.
func TestStopDuringRead(t *testing.T) {
	f := &fixture{serial: "M-" + uuid.NewString()[:12], link: filepath.Join(t.TempDir(), "tty")}
	board, err := sim.Start(f.link, sim.Config{Fault: sim.FaultSilent}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { board.Close() })
	cfg := DefaultConfig()
	cfg.Serial, cfg.Broker.URLs, cfg.Fixture.Port = f.serial, []string{testURL()}, f.link
	cfg.Fixture.QueryTimeout, cfg.Server.ShutdownGrace = 10*time.Second, time.Second
	logs := &testutil.SyncBuffer{}
	d, _, stop := runLogged(t, cfg, slog.New(slog.NewTextHandler(logs, nil)))
	f.client = dialURL(t, testURL())
	reply := make(chan error, 1)
	go func() { _, err := f.ask(t, "JigStatus", nil, 15*time.Second); reply <- err }()
	waitFor(t, func() bool { return d.srv.Stats().InFlight == 1 })
	start := time.Now()
	stop()
	took := time.Since(start)
	err = <-reply
	wantCode(t, err, jigapi.CodeInternal)
	if !strings.Contains(err.Error(), "the manager stopped before the request was finished") {
		t.Errorf("reply does not say the manager stopped: %v", err)
	}
	// The grace, then the link's close: milliseconds to a healthy broker.
	if grace := cfg.Server.ShutdownGrace; took < grace || took > grace+time.Second {
		t.Errorf("stop took %v, want the grace %v and at most a second more", took, grace)
	}
	if strings.Contains(logs.String(), "serial port lost") {
		t.Errorf("a port the manager closed itself logged as lost:\n%s", logs)
	}
}
