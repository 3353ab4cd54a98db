// jigmq dashboard: one tile per fixture, kept live by the server-sent
// events of /api/v1/events (a "fixture" event carries one fixture's row).
"use strict";

const page = document.body.dataset.page;
const only = page === "fixture" ? decodeURIComponent(location.pathname.split("/").pop()) : null;
const tiles = document.getElementById("tiles");

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

function stateClass(state) {
  const s = (state || "").toLowerCase();
  return ["ready", "busy", "testing", "error", "fault"].includes(s) ? "s-" + s : "s-other";
}

// shownState is the tile's big word: the board's state only while it is
// live; a state last read before the board or its manager went away is an
// earlier moment's, shown as such on its own line, never as the state.
function shownState(f, s, connected) {
  if (f.missing) return "not seen";
  if (f.stopped) return "stopped";
  if (f.stale) return "stale";
  if (!connected) return "disconnected";
  return s.state || "—";
}

function render(f) {
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
  t.className = "tile " + (connected ? stateClass(s.state) : "s-error") + (f.seen && !s.connected ? " disconnected" : "") +
    (f.stale ? " stale" : "") + (f.missing ? " missing" : "");
  t.dataset.connected = String(!!connected);
  t.dataset.stale = String(!!f.stale);
  t.dataset.stopped = String(!!f.stopped);
  t.dataset.missing = String(!!f.missing);
  t.dataset.state = s.state || "";
  const flags = el("div");
  if (f.stale) flags.append(el("span", "flag stale", f.stopped ? "STOPPED" : "STALE"));
  if (f.missing) flags.append(el("span", "flag missing", "MISSING"));
  t.replaceChildren(el("div", "serial", f.serial), flags,
    el("div", "state", shownState(f, s, connected)),
    el("div", "line conn", f.missing ? "" : (f.stale ? "was " : "") + (connected ? "connected" : "DISCONNECTED")),
    el("div", "line", (!f.missing && (f.stale || !connected) && s.state) ? "last state " + s.state : ""),
    el("div", "line", "last read " + ago(s.last_read_at)),
    el("div", "line", "holder " + (s.holder || "none")),
    el("div", "line", "heard " + ago(f.last_seen)));
  if (only) detail(f);
}

function detail(f) {
  if (f.status) document.getElementById("status").textContent = JSON.stringify(f.status, null, 2);
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
  const link = document.getElementById("link");
  const es = new EventSource("/api/v1/events");
  es.onopen = () => { link.textContent = "live"; document.body.dataset.live = "true"; };
  es.onerror = () => { link.textContent = "reconnecting…"; document.body.dataset.live = "false"; };
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
