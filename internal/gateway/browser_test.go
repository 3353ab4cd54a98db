package gateway

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jigmq/jigmq/jig/sim"
)

// browser starts Debian's chromium headless, driven over the DevTools
// protocol by chromedp (a test-only dependency: it waits on the live page
// without a reload, which chromium's --dump-dom cannot). Without chromium
// the test skips, unless JIGMQ_BROWSER=require (make test, which installs
// it: scripts/ensure-chromium.sh).
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("JIGMQ_BROWSER") == "require" {
			t.Fatal("chromium not found: run scripts/ensure-chromium.sh")
		}
		t.Skip("chromium not installed (scripts/ensure-chromium.sh installs it)")
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1200, 800)}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first run starts the browser, which lives as long as the context
	// of that run: so no timeout here (the later actions have theirs).
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// within runs actions with a deadline of d.
func within(t *testing.T, ctx context.Context, d time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Steps(actions...)); err != nil {
		t.Fatalf("%s (within %v): %v", what, d, err)
	}
}

func tileIs(serial, key, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const t = document.getElementById("tile-`+serial+`");
		return t !== null && t.dataset.`+key+` === "`+want+`"; })()`, chromedp.WithPollingInterval(50*time.Millisecond))
}

// tileSays waits until serial's tile shows want as its big word (its state).
func tileSays(serial, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const t = document.getElementById("tile-`+serial+`");
		return t !== null && t.querySelector(".state").textContent === "`+want+`"; })()`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// TestDashboardInBrowser: the dashboard in headless chromium shows three
// fixtures; unplugging one board turns its tile disconnected within 3 s
// and stopping one manager turns its tile stopped (its Stopped event), with
// no reload; the page
// of a fixture shows its stats. A screenshot goes to the artifacts.
func TestDashboardInBrowser(t *testing.T) {
	ctx := browser(t)
	fx := []*fixture{startFixture(t), startFixture(t), startFixture(t)}
	g := startGateway(t, nil)
	for _, f := range fx {
		g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Seen && x.Summary.State != "" })
	}
	within(t, ctx, 20*time.Second, "the dashboard loads", chromedp.Navigate(g.base+"/"))
	for _, f := range fx {
		within(t, ctx, 5*time.Second, f.serial+"'s tile shows connected", tileIs(f.serial, "connected", "true"))
	}
	start := time.Now()
	fx[0].board.Close()
	within(t, ctx, 3*time.Second, fx[0].serial+"'s tile shows disconnected after the unplug",
		tileIs(fx[0].serial, "connected", "false"))
	// The state read before the unplug is an earlier moment's: never shown
	// as the state.
	within(t, ctx, time.Second, fx[0].serial+"'s tile says disconnected, not its last state",
		tileSays(fx[0].serial, "disconnected"))
	t.Logf("unplug shown after %v", time.Since(start).Round(time.Millisecond))
	fx[1].stop() // a clean stop: its Stopped event, not three missed heartbeats
	within(t, ctx, 2*time.Second, fx[1].serial+"'s tile says stopped as its manager stops",
		tileIs(fx[1].serial, "stale", "true"), tileIs(fx[1].serial, "stopped", "true"), tileSays(fx[1].serial, "stopped"))
	within(t, ctx, 5*time.Second, fx[2].serial+" is still fresh and connected",
		tileIs(fx[2].serial, "stale", "false"), tileIs(fx[2].serial, "connected", "true"), tileSays(fx[2].serial, "READY"))
	screenshot(t, ctx, "dashboard.png")
	// A read that fails for another caller, not through the gateway, is
	// told by the manager's summary: the tile says it failed too.
	fx[2].board.SetFault(sim.FaultError)
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := directClient(t).Status(rctx, fx[2].serial); err == nil {
		t.Fatal("a direct status read of a failing board succeeded")
	}
	within(t, ctx, 2*time.Second, fx[2].serial+"'s tile says a direct read failed, not READY",
		tileSays(fx[2].serial, "read failed"), tileIs(fx[2].serial, "state", ""))
	// A live read through the gateway that fails ends the state shown as
	// well: the tile no longer claims the one read before it.
	if st := g.get(t, "GET", "/api/v1/fixtures/"+fx[2].serial+"/status", "", nil); st != 502 {
		t.Fatalf("status read of a failing board: %d, want 502", st)
	}
	within(t, ctx, 2*time.Second, fx[2].serial+"'s tile says its read failed, not READY",
		tileSays(fx[2].serial, "read failed"), tileIs(fx[2].serial, "state", ""))
	fx[2].board.SetFault(sim.FaultNone)
	within(t, ctx, 10*time.Second, "the fixture's page shows its stats", chromedp.Navigate(g.base+"/fixture/"+fx[2].serial),
		chromedp.Poll[chromedp.Void](`document.getElementById("stats").textContent.includes("coalesced_reads")`))
	screenshot(t, ctx, "fixture.png")
}

// screenshot writes the page to $JIGMQ_ARTIFACTS (make test: artifacts/),
// or the test's artifact directory (go test -artifacts).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("JIGMQ_ARTIFACTS")
	if dir == "" {
		dir = t.ArtifactDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}
