package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jigmq/jigmq/jigapi"
	"github.com/jigmq/jigmq/mqmanager"
)

// TestEcho: Echo answers with its text and the manager's serial, without a
// board read, and refuses a text over MaxEchoText.
func TestEcho(t *testing.T) {
	f := startFixture(t, nil)
	queries := f.board.Queries()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := mqmanager.Call(ctx, f.client, f.serial, jigapi.Echo, jigapi.EchoArgs{Text: "héllo"})
	if err != nil || r.Text != "héllo" || r.Serial != f.serial {
		t.Fatalf("Echo: %+v, %v", r, err)
	}
	if n := f.board.Queries(); n != queries {
		t.Errorf("Echo read the board: %d queries, %d before", n, queries)
	}
	_, err = mqmanager.Call(ctx, f.client, f.serial, jigapi.Echo,
		jigapi.EchoArgs{Text: strings.Repeat("x", jigapi.MaxEchoText+1)})
	var re *mqmanager.RemoteError
	if !errors.As(err, &re) || re.Code != jigapi.CodeBadRequest {
		t.Errorf("Echo of %d bytes: %v, want bad_request", jigapi.MaxEchoText+1, err)
	}
}
