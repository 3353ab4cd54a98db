package manager

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestSharedPortRefused: a second manager, for another serial, configured
// with the first one's port (a copied configuration, a udev link to the
// wrong adapter) serves the bus but not the port: serial_unavailable
// saying the port is in use, connected false, and not one line to the
// board, so no answer of one can reach the other. Once the first stops,
// the second reads the board.
func TestSharedPortRefused(t *testing.T) {
	f := startFixture(t, nil)
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	sent := f.board.Queries()
	other := f.cfg
	other.Serial = "M-" + uuid.NewString()[:12]
	runManager(t, other)
	second := &fixture{serial: other.Serial, client: f.client}

	_, err := second.status(t)
	wantCode(t, err, jigapi.CodeSerialUnavailable)
	if msg := err.Error(); !strings.Contains(msg, f.link) || !strings.Contains(msg, "in use by another process") {
		t.Fatalf("refusal does not say the port is in use: %v", err)
	}
	if second.ping(t).Connected || f.board.Queries() != sent {
		t.Fatalf("second manager: connected %v; board saw %d commands, want %d",
			second.ping(t).Connected, f.board.Queries(), sent)
	}
	if st, err := f.status(t); err != nil || st.Identity != "SIM,"+f.serial {
		t.Fatalf("first manager after the refusal: %+v, %v", st, err)
	}

	f.stop() // its Run has closed the port when stop returns
	if st, err := second.status(t); err != nil || !st.Connected {
		t.Fatalf("second manager after the first stopped: %+v, %v", st, err)
	}
}

// TestDuplicateKeepsTermios: a manager for a serial already served, on
// the same port, is refused by the broker and exits; it leaves the port's
// line settings as the serving manager set them.
func TestDuplicateKeepsTermios(t *testing.T) {
	f := startFixture(t, nil)
	if _, err := f.status(t); err != nil {
		t.Fatal(err)
	}
	before, err := f.board.Termios()
	if err != nil {
		t.Fatal(err)
	}
	dup := f.cfg
	dup.Fixture.Baud = 19200
	d, err := New(dup, "test", slog.New(slog.DiscardHandler), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Run(ctx); !errors.Is(err, mqmanager.ErrAlreadyServed) {
		t.Fatalf("duplicate manager: %v, want %v", err, mqmanager.ErrAlreadyServed)
	}
	after, err := f.board.Termios()
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Fatalf("the refused manager changed the line: cflag %#o -> %#o", before.Cflag, after.Cflag)
	}
	if st, err := f.status(t); err != nil || st.Identity != "SIM,"+f.serial {
		t.Fatalf("serving manager after the duplicate: %+v, %v", st, err)
	}
}
