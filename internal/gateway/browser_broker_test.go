package gateway

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// headerSays waits until the page's header matches the regular expression
// re (JavaScript's syntax).
func headerSays(re string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`/`+re+`/.test(document.getElementById("link").textContent)`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// brokerIs waits until the page's body says the broker state is state.
func brokerIs(state string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.body.dataset.broker === "`+state+`"`,
		chromedp.WithPollingInterval(50*time.Millisecond))
}

// tileHasClass waits until serial's tile has (or, with has false, lacks)
// the class cls.
func tileHasClass(serial, cls string, has bool) chromedp.Action[chromedp.Void] {
	not := "!"
	if has {
		not = ""
	}
	return chromedp.Poll[chromedp.Void](`(() => { const t = document.getElementById("tile-`+serial+`");
		return t !== null && `+not+`t.classList.contains("`+cls+`"); })()`, chromedp.WithPollingInterval(50*time.Millisecond))
}

// TestDashboardShowsBrokerLost: in headless chromium, while the gateway
// has lost the broker the header says "broker lost since HH:MM:SS" (not
// "live"), and the fixture's tile is not current: greyed, "broker lost" as
// its word and "as of" its last event. When the broker is back the header
// says live again, and the tile shows its state once heard since, with no
// reload. Screenshots go to the artifacts.
func TestDashboardShowsBrokerLost(t *testing.T) {
	ctx := browser(t)
	node, f, g := onPrivate(t)
	within(t, ctx, 20*time.Second, "the dashboard loads, live, the tile current", chromedp.Navigate(g.base+"/"),
		headerSays(`^live$`), tileSays(f.serial, "READY"))
	if err := node.Stop(); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 5*time.Second, "the header says the broker is lost, the tile is not current",
		headerSays(`^broker lost since \d\d:\d\d:\d\d$`), brokerIs(BrokerLost), tileIs(f.serial, "current", "false"),
		tileIs(f.serial, "state", ""), tileSays(f.serial, "broker lost"), tileHasClass(f.serial, "asof", true),
		chromedp.Poll[chromedp.Void](`document.querySelector("#tile-`+f.serial+` .line.asof").textContent.startsWith("as of ")`))
	screenshot(t, ctx, "dashboard-broker-lost.png")
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	within(t, ctx, 10*time.Second, "the header says live again, the tile current once heard",
		headerSays(`^live$`), brokerIs(BrokerConnected), tileIs(f.serial, "current", "true"), tileSays(f.serial, "READY"),
		tileHasClass(f.serial, "asof", false))
	screenshot(t, ctx, "dashboard-broker-back.png")
}
