package gateway

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// readsNamed waits until serial's tile shows the manager's last read and
// the gateway's own live read each on a line of its own, labelled
// ("manager's last read ...", "gateway's live read ..."), and every line
// of the tile that tells of a read names whose it is.
func readsNamed(serial string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => { const t = document.getElementById("tile-`+serial+`");
		if (t === null) return false;
		const text = sel => { const e = t.querySelector(sel); return e === null ? "" : e.textContent; };
		const lines = [...t.querySelectorAll(".line")].map(e => e.textContent).filter(s => /\bread\b/.test(s));
		return text(".line.read-manager").startsWith("manager's last read ") &&
			text(".line.read-gateway").startsWith("gateway's live read ") &&
			lines.every(s => /manager|gateway/.test(s)); })()`, chromedp.WithPollingInterval(50*time.Millisecond))
}

// TestDashboardNamesReads: in headless chromium, a tile shows the two
// reads it knows of, the manager's last (from its events) and the
// gateway's own live read, each labelled as whose it is, and so is the
// earlier state once the manager stopped: no "read" an operator cannot
// place. Screenshots go to the artifacts.
func TestDashboardNamesReads(t *testing.T) {
	ctx := browser(t)
	f := startFixture(t)
	g := startGateway(t, nil)
	g.awaitFixture(t, f.serial, func(x Fixture) bool { return x.Current != nil })
	if st := g.get(t, "GET", "/api/v1/fixtures/"+f.serial+"/status", "", nil); st != 200 {
		t.Fatalf("live read: %d", st)
	}
	within(t, ctx, 20*time.Second, "the tile names the manager's read and the gateway's",
		chromedp.Navigate(g.base+"/"), tileSays(f.serial, "READY"), readsNamed(f.serial))
	screenshot(t, ctx, "dashboard-reads.png")
	f.stop()
	within(t, ctx, 5*time.Second, "the stopped tile's earlier state names whose read it was",
		tileSays(f.serial, "stopped"), readsNamed(f.serial),
		chromedp.Poll[chromedp.Void](`/^earlier state READY, (manager's|gateway's) read /.test(
			document.querySelector("#tile-`+f.serial+` .line.earlier").textContent)`,
			chromedp.WithPollingInterval(50*time.Millisecond)))
	screenshot(t, ctx, "dashboard-reads-stopped.png")
}
