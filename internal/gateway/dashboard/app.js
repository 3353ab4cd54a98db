// jigmq dashboard: one tile per fixture, kept live by the server-sent
// events of /api/v1/events (a "fixture" event carries one fixture's row, a
// "broker" event the gateway's broker state).
"use strict";

const page = document.body.dataset.page;
const only = page === "fixture" ? decodeURIComponent(location.pathname.split("/").pop()) : null;
const tiles = document.getElementById("tiles");
const rows = new Map(); // serial -> its last row, to render again when the broker state changes
let streamOpen = false; // this page's stream from the gateway
let broker = null;      // the gateway's broker state: {state, since, error}; null until told

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function ago(iso) {
  if (!iso) return "never";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 60 ? s.toFixed(0) + " s ago" : (s / 60).toFixed(0) + " min ago";
}

function hhmmss(iso) {
  const d = new Date(iso);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map(n => String(n).padStart(2, "0")).join(":");
}

// brokerUp: the gateway follows the events now. While it does not (lost,
// or never reached), no row is current: each is as of its last event.
function brokerUp() {
  return broker !== null && broker.state === "connected";
}

// heardSinceBroker: the row was heard (an event, or a live read through
// the gateway) since the gateway's link to the broker last came up; one
// heard only before is an earlier moment's, events may have been missed.
function heardSinceBroker(f) {
  const since = Date.parse(broker.since);
  return !f.seen || Date.parse(f.last_seen) >= since || (!!f.status_at && Date.parse(f.status_at) >= since);
}

// noFixture: the last live read through the gateway, after the last event,
// found no manager for it on the bus.
function noFixture(f) {
  const e = f.status_error;
  return !!e && e.outcome === "no_fixture" && Date.parse(e.at) >= Date.parse(f.last_seen);
}

// showLink is the header: this page's stream (live, reconnecting), and
// while it is live, the gateway's broker state: "broker lost since ..."
// whenever the gateway does not have it, never "live".
function showLink() {
  const link = document.getElementById("link");
  let text = streamOpen ? "connecting…" : "reconnecting…";
  if (streamOpen && broker) {
    text = { connected: "live", lost: "broker lost since " + hhmmss(broker.since) }[broker.state] ||
      "broker not reached yet";
  }
  link.textContent = text;
  link.title = streamOpen && broker && broker.error ? broker.error : "";
  link.className = "link" + (streamOpen && broker && !brokerUp() ? " lost" : "");
  document.body.dataset.broker = broker ? broker.state : "";
}

function stateClass(state) {
  const s = (state || "").toLowerCase();
  return ["ready", "busy", "testing", "error", "fault"].includes(s) ? "s-" + s : "s-other";
}

// shownState is the tile's big word: the board's state only when the
// gateway calls it current (f.current: read since the board's port opened,
// while its manager is heard, no read failed since); a state read before
// the board or its manager went away, or before a failed read, is an
// earlier moment's, shown as such with its time (earlier), never as the
// state.
function shownState(f, connected) {
  if (f.missing) return "not seen";
  if (!brokerUp()) return broker && broker.state === "lost" ? "broker lost" : "no broker";
  if (f.stopped) return "stopped";
  if (f.stale) return noFixture(f) ? "no fixture" : "stale";
  if (!heardSinceBroker(f)) return "not heard yet";
  if (!connected) return "disconnected";
  if (f.current) return f.current.state;
  return lastFailure(f) ? "read failed" : "not read";
}

// A tile tells of two kinds of read, and names whose each is: the
// manager's (its events' summary: last_read_at, last_error_at), and the
// gateway's own live read (status, status_error: a status read through the
// gateway's API).
const byManager = "manager's", byGateway = "gateway's live";

// lastFailure is the newest failed read, through the gateway (status_error)
// or by the manager (its summary's last_error_at, when after its last good
// read), as {at, code, by}; null if there is none.
function lastFailure(f) {
  const s = f.summary || {};
  let e = f.status_error ? { at: f.status_error.at, code: f.status_error.code, by: byGateway } : null;
  const mine = Date.parse(s.last_error_at) || 0;
  if (mine > (Date.parse(s.last_read_at) || 0) && mine > (e ? Date.parse(e.at) : 0)) {
    e = { at: s.last_error_at, code: "", by: byManager };
  }
  return e;
}

// earlier is the line naming the newest state read when it is not current,
// with whose read it was and its time; "" when it is, or there is none.
function earlier(f) {
  const s = f.summary || {};
  if (f.missing || f.current) return "";
  let r = s.state ? { state: s.state, at: s.last_read_at, by: "manager's" } : null;
  if (f.status && (!r || Date.parse(f.status.read_at) > Date.parse(r.at))) {
    r = { state: f.status.state, at: f.status.read_at, by: "gateway's" };
  }
  return r ? "earlier state " + r.state + ", " + r.by + " read " + ago(r.at) : "";
}

function failedLine(f) {
  const e = lastFailure(f);
  return e ? e.by + " read failed " + ago(e.at) + (e.code ? ": " + e.code : "") : "";
}

// managerRead is the manager's last good read, as its events tell it.
function managerRead(f) {
  return f.missing ? "" : byManager + " last read " + ago((f.summary || {}).last_read_at);
}

// gatewayRead is the gateway's own last good live read; "" if none.
function gatewayRead(f) {
  return f.status ? byGateway + " read " + ago(f.status.read_at) : "";
}

// asOfLine says, while the gateway has no broker, when the row was last
// heard: everything on its tile is as of then.
function asOfLine(f) {
  return f.missing || brokerUp() ? "" : "as of " + (f.last_seen ? hhmmss(f.last_seen) : "never");
}

function render(f) {
  rows.set(f.serial, f);
  const id = "tile-" + f.serial;
  let t = document.getElementById(id);
  if (!t) {
    t = el("a", "tile");
    t.id = id;
    t.href = "/fixture/" + encodeURIComponent(f.serial);
    const all = [...tiles.children, t].sort((a, b) => a.id.localeCompare(b.id));
    tiles.replaceChildren(...all);
  }
  const s = f.summary || {};
  const connected = f.seen && s.connected;
  const tone = !connected || f.status_error ? "s-error" : (f.current ? stateClass(f.current.state) : "s-other");
  const asOf = !f.missing && (!brokerUp() || !heardSinceBroker(f));
  t.className = "tile " + tone + (f.seen && !s.connected ? " disconnected" : "") +
    (f.stale ? " stale" : "") + (f.missing ? " missing" : "") + (asOf ? " asof" : "");
  t.dataset.connected = String(!!connected);
  t.dataset.stale = String(!!f.stale);
  t.dataset.stopped = String(!!f.stopped);
  t.dataset.missing = String(!!f.missing);
  t.dataset.state = f.current && brokerUp() ? f.current.state : "";
  t.dataset.current = String(!!f.current && brokerUp());
  const flags = el("div");
  if (f.stale) flags.append(el("span", "flag stale", f.stopped ? "STOPPED" : "STALE"));
  if (f.missing) flags.append(el("span", "flag missing", "MISSING"));
  t.replaceChildren(el("div", "serial", f.serial), flags,
    el("div", "state", shownState(f, connected)),
    el("div", "line asof", asOfLine(f)),
    el("div", "line conn", f.missing ? "" : (f.stale || !brokerUp() ? "was " : "") + (connected ? "connected" : "DISCONNECTED")),
    el("div", "line earlier", earlier(f)),
    el("div", "line failed", failedLine(f)),
    el("div", "line read-manager", managerRead(f)),
    el("div", "line read-gateway", gatewayRead(f)),
    el("div", "line", "holder " + (s.holder || "none")),
    el("div", "line", "heard " + ago(f.last_seen)));
  if (only) detail(f);
}

function detail(f) {
  if (f.status || f.status_error) document.getElementById("status").textContent =
    (f.status_error ? "gateway's last live read FAILED " + ago(f.status_error.at) + ": " + f.status_error.code + ": " + f.status_error.message + "\n" : "") +
    (f.status ? "gateway's last good live read, answered " + ago(f.status_at) + ":\n" + JSON.stringify(f.status, null, 2) : "");
  if (f.events) {
    const list = document.getElementById("events");
    list.replaceChildren(...f.events.slice().reverse().map(e =>
      el("li", "", e.at + "  " + e.kind + "  #" + e.seq + "  " + (e.summary.state || "") +
        (e.summary.connected ? "" : "  disconnected"))));
  }
}

async function getJSON(path) {
  const r = await fetch(path);
  return r.json();
}

async function refreshDetail() {
  const f = await getJSON("/api/v1/fixtures/" + encodeURIComponent(only));
  if (f.serial) render(f);
  const st = await getJSON("/api/v1/fixtures/" + encodeURIComponent(only) + "/stats");
  document.getElementById("stats").textContent = JSON.stringify(st.ok ? st.result : st, null, 2);
}

function connect() {
  const es = new EventSource("/api/v1/events");
  es.onopen = () => { streamOpen = true; broker = null; showLink(); document.body.dataset.live = "true"; };
  es.onerror = () => { streamOpen = false; showLink(); document.body.dataset.live = "false"; };
  es.addEventListener("broker", m => {
    broker = JSON.parse(m.data);
    showLink();
    rows.forEach(render);
  });
  es.addEventListener("fixture", m => {
    const f = JSON.parse(m.data);
    if (only && f.serial !== only) return;
    render(f);
    if (only) refreshDetail();
  });
}

if (only) {
  document.getElementById("serial").textContent = only;
  document.getElementById("read").onclick = async () => {
    const r = await getJSON("/api/v1/fixtures/" + encodeURIComponent(only) + "/status");
    document.getElementById("status").textContent = JSON.stringify(r.ok ? r.result : r, null, 2);
  };
  refreshDetail();
}
connect();
