// swsim live dashboard: plain JavaScript and SVG (no libraries, nothing fetched from elsewhere).
// The operator key comes in the URL fragment (#key=...), which browsers never send to the server; every API call
// carries it as X-API-Key, and the live stream is read with fetch() so that it can carry the header too.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const state = { key: "", parties: [], names: {}, follow: true, query: "", timeline: [], feed: [], cursor: "" };

function keyFromUrl() {
  const m = /key=([^&]+)/.exec(location.hash);
  if (m) sessionStorage.setItem("swsim-key", decodeURIComponent(m[1]));
  return sessionStorage.getItem("swsim-key") || "";
}

// what a refused key means, for the person at the screen (a party's own key is 403: it cannot see everyone's)
function refused(status) {
  if (status === 401) return "the key in the URL (#key=…) is not one this gateway knows: use the operator key `swsim parties` shows";
  if (status === 403) return "the key in the URL (#key=…) is a party's, not the operator's: use the operator key `swsim parties` shows";
  return "";
}

async function api(path) {
  const r = await fetch("/dashboard/api/" + path, { headers: { "X-API-Key": state.key } });
  if (!r.ok) throw new Error(refused(r.status) || path + ": HTTP " + r.status);
  return r.json();
}

function el(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function html(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function short(name) { return name.replace(" (simulated)", "").replace("Synthetic ", ""); }
function label(id) { return state.names[id] ? short(state.names[id]) : id; }
function when(t) { return new Date(t * 1000).toLocaleTimeString(); }

// ------------------------------------------------------------------ network
const positions = {};
function drawNetwork() {
  const svg = document.getElementById("network");
  svg.replaceChildren();
  const ring = state.parties.filter((p) => p.role !== "gateway");
  state.parties.forEach((p) => {
    const i = ring.indexOf(p);
    const a = (2 * Math.PI * i) / ring.length - Math.PI / 2;
    // the single window sits in the middle; every party around it
    const [x, y] = i < 0 ? [210, 200] : [210 + 165 * Math.cos(a), 210 + 165 * Math.sin(a)];
    positions[p.id] = [x, y];
    const g = el("g", { class: "party", "data-party": p.id });
    g.append(el("circle", { cx: x, cy: y, r: 16 }), el("text", { x: x, y: y + 28 }, short(p.name).slice(0, 22)));
    g.append(el("title", {}, p.id + " " + p.name + " (" + p.role + ")"));
    svg.append(g);
  });
}

function flash(m) {
  const svg = document.getElementById("network");
  const from = positions[m.sender];
  if (!from) return;
  for (const r of m.receivers) {
    const to = positions[r];
    if (!to) continue;
    const line = el("line", { class: "flow", x1: from[0], y1: from[1], x2: to[0], y2: to[1] });
    svg.prepend(line);
    setTimeout(() => { line.style.opacity = "0"; }, 50);
    setTimeout(() => line.remove(), 1500);
  }
}

// ------------------------------------------------------------------ timeline (sequence diagram)
const LANE_ORDER = { trader: 0, carrier: 1, customs: 2, "foreign-customs": 3, tax: 4, gateway: 5 };
function lanesFor(messages) {
  const ids = new Set();
  for (const m of messages) { ids.add(m.sender); m.receivers.forEach((r) => ids.add(r)); }
  const role = (id) => (state.parties.find((p) => p.id === id) || {}).role || "";
  const customsRank = (id) => (id === "7900" ? 0 : id === "8000" ? 1 : 2); // Chengdu, Chongqing, then others
  return [...ids].sort((a, b) => (LANE_ORDER[role(a)] ?? 9) - (LANE_ORDER[role(b)] ?? 9)
    || customsRank(a) - customsRank(b) || a.localeCompare(b));
}

function drawTimeline(messages, offset) {
  state.timeline = messages;
  const svg = document.getElementById("timeline");
  svg.replaceChildren();
  const lanes = lanesFor(messages);
  const W = 170, top = 44, rowH = 34;
  const width = Math.max(600, lanes.length * W + 40), height = top + messages.length * rowH + 30;
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const x = (id) => 20 + W / 2 + lanes.indexOf(id) * W;
  lanes.forEach((id) => {
    svg.append(el("text", { class: "head", x: x(id), y: 18, "text-anchor": "middle" }, label(id).slice(0, 26)));
    svg.append(el("text", { x: x(id), y: 32, "text-anchor": "middle" }, id));
    svg.append(el("line", { class: "lane", x1: x(id), y1: top - 6, x2: x(id), y2: height - 10 }));
  });
  messages.forEach((m, i) => {
    const y = top + 16 + i * rowH;
    const cls = "step" + (m.rejected ? " reject" : "") + (m.type === "RA101" ? " alert" : "");
    const g = el("g", { class: cls, "data-seq": m.seq, "data-type": m.type, "data-index": i });
    for (const r of m.receivers) {
      const x1 = x(m.sender), x2 = x(r);
      g.append(el("line", { x1, y1: y, x2, y2: y }));
      const d = x2 > x1 ? -7 : 7;
      g.append(el("polygon", { points: `${x2},${y} ${x2 + d},${y - 4} ${x2 + d},${y + 4}`, fill: "#2a6fb0" }));
    }
    const mid = m.receivers.length ? (x(m.sender) + x(m.receivers[0])) / 2 : x(m.sender);
    g.append(el("text", { x: mid, y: y - 5, "text-anchor": "middle" },
      `${offset + i + 1}. ${m.type} ${m.type_name}`.slice(0, 60)));
    g.append(el("text", { x: mid, y: y + 12, "text-anchor": "middle", class: "what" }, m.summary.slice(0, 70)));
    g.append(el("title", {}, `${when(m.t)} ${m.message_id}\n${m.summary}`));
    g.addEventListener("click", () => showMessage(m.seq));
    svg.append(g);
  });
}

// following live: the consignment's newest messages; a search: its first ones. The title says which, of how many.
async function loadTimeline(q) {
  const r = await api("search?q=" + encodeURIComponent(q) + (state.follow ? "&latest=true" : ""));
  if (q !== state.query) return; // another search, or another consignment followed, since
  // the reference as recorded (typed in another case, or found through one of its message ids): what live
  // messages are matched against, so that the timeline grows as they come
  if (r.kind.startsWith("consignment")) state.query = r.query;
  document.getElementById("tl-title").textContent = r.messages.length
    ? `${r.query} (${r.kind}, ${timelineCount(r)})` : `${q}: nothing found`;
  drawTimeline(r.messages, r.offset);
}

function timelineCount(r) {
  const n = r.messages.length;
  if (n === r.total) return `${n} messages`;
  if (r.offset > 0) return `latest ${n} of ${r.total} messages: steps ${r.offset + 1}–${r.offset + n}`;
  return `first ${n} of ${r.total} messages, more not shown`;
}

// one reload at a time, and one more if messages came meanwhile (a burst of messages: two reloads, not hundreds)
let timelineBusy = false, timelineAgain = false;
async function reloadTimeline() {
  if (timelineBusy) { timelineAgain = true; return; }
  timelineBusy = true;
  try {
    do { timelineAgain = false; await loadTimeline(state.query).catch(() => {}); } while (timelineAgain);
  } finally { timelineBusy = false; }
}

// ------------------------------------------------------------------ message detail
async function showMessage(seq) {
  const r = await api("messages/" + seq);
  const box = document.getElementById("detail");
  box.replaceChildren();
  box.className = "";
  const m = r.message;
  const t = html("table");
  for (const [k, v] of [["message id", m.message_id], ["type", `${m.type} ${m.type_name}`], ["from", `${m.sender} ${label(m.sender)}`],
    ["to", m.receivers.map((x) => `${x} ${label(x)}`).join(", ")], ["consignment", m.correlation || "—"],
    ["received", when(m.t)], ["status", m.status], ["what", m.summary]]) {
    const tr = html("tr"); tr.append(html("td", "", k), html("td", "", v)); t.append(tr);
  }
  box.append(t, html("h3", "", "Decoded content"), html("pre", "decoded", JSON.stringify(r.decoded, null, 1)));
  box.append(html("h3", "", `Raw ${r.format.toUpperCase()}`), html("pre", "raw", r.raw));
  box.append(html("h3", "", `Receipts (${r.receipts.length})`));
  for (const rc of r.receipts) {
    box.append(html("div", "receipt", `${rc.receipt_id}: ${rc.status}${rc.codes.length ? " " + rc.codes.join(", ") : ""}`));
  }
}

// ------------------------------------------------------------------ side panels and charts
function renderList(id, items, render, empty) {
  const ul = document.getElementById(id);
  ul.replaceChildren();
  if (!items.length) { ul.append(html("li", "muted", empty)); return; }
  for (const it of items) ul.append(render(it));
}

function feedItem(m) {
  if (m.note) return html("li", "muted note", m.note);
  const li = html("li", "msg", `${when(m.t)} ${m.type} ${label(m.sender)} → ${m.receivers.map(label).join(", ")}: ${m.summary}`);
  li.dataset.seq = m.seq;
  li.addEventListener("click", () => showMessage(m.seq));
  return li;
}

function chart(id, series, colors, unit) {
  const svg = document.getElementById(id);
  svg.replaceChildren();
  const all = series.flatMap((s) => s.values);
  const max = Math.max(1, ...all);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  svg.append(el("text", { x: 4, y: 12 }, `${Math.round(max)} ${unit}`), el("line", { x1: 0, y1: 120, x2: 420, y2: 120, stroke: "#ccd" }));
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${(i / Math.max(1, n - 1)) * 410 + 5},${120 - (v / max) * 100}`).join(" ");
    svg.append(el("polyline", { points: pts, fill: "none", stroke: colors[k], "stroke-width": 1.8 }));
    svg.append(el("text", { x: 300 + k * 60, y: 12, fill: colors[k] }, s.name));
  });
}

function renderTick(d) {
  renderList("alerts", d.risk_alerts, (a) => html("li", "", `${when(a.t)} ${a.summary} — from ${label(a.sender)}${a.correlation ? " (" + a.correlation + ")" : ""}`), "none");
  const dlqTotal = d.counts.deadletters, shown = d.deadletters.length;
  document.getElementById("dlq-count").textContent = dlqTotal > shown ? `(newest ${shown} of ${dlqTotal})` : `(${dlqTotal})`;
  renderList("dlq", d.deadletters, (x) => {
    const li = html("li", "", `#${x.id} ${when(x.received_at)} ${x.sender || "unknown sender"} ${x.message_id || ""}: `);
    x.codes.forEach((c) => li.append(html("span", "code", c), " "));
    if (x.reason) li.append(html("div", "muted", x.reason));
    return li;
  }, "empty");
  chart("throughput", [{ name: "msg/s", values: d.stats.per_second }], ["#2a6fb0"], "msg/s");
  chart("latency", [{ name: "p50", values: d.stats.p50_ms }, { name: "p99", values: d.stats.p99_ms }], ["#2a6fb0", "#d35400"], "ms");
  const tax = document.getElementById("tax");
  if (d.tax && d.tax.length) {
    tax.replaceChildren();
    tax.className = "";
    for (const b of d.tax) {
      const div = html("div", "bureau");
      div.append(html("strong", "", `${label(b.party)} (${b.party})`));
      div.append(html("div", "", `channel A (gateway): ${b.arrivals_a} arrived · channel B (dedicated line): ${b.arrivals_b} arrived · line queue ${b.line_pending}`));
      const rec = b.reconciliation;
      if (rec) {
        const ok = rec.clean;
        div.append(html("div", ok ? "tax-ok" : "tax-bad",
          `reconciliation 对账 ${when(rec.at)}: ${ok ? "clean" : rec.findings.length + " finding(s): " + rec.findings.map((f) => f.kind).join(", ")}`));
      } else div.append(html("div", "muted", "no reconciliation yet"));
      tax.append(div);
    }
  }
}

function addToFeed(item) {
  state.feed.unshift(item);
  state.feed = state.feed.slice(0, 60);
  renderList("feed", state.feed, feedItem, "");
}

function onMessage(m) {
  if (state.feed.some((x) => x.seq === m.seq)) return; // the first load had it already
  flash(m);
  addToFeed(m);
  if (m.correlation && (state.follow || state.query === m.correlation)) {
    if (state.follow && state.query !== m.correlation) state.query = m.correlation;
    reloadTimeline();
  }
}

function onSkipped(d) {
  addToFeed({ note: `… the stream fell behind: messages #${d.after + 1}–#${d.upto} are not shown here (search finds them)` });
}

// One server-sent event from its lines ("field: value"): its name, data (JSON) and id. Only "\n" ends a line here:
// JSON text may hold U+2028/U+2029, which a regular expression's "." and "$" would stop at.
function parseEvent(chunk) {
  const ev = { event: "message", data: [], id: null };
  for (const line of chunk.split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) continue; // a comment, or a line without a field
    const field = line.slice(0, i), value = line.slice(i + 1).replace(/^ /, "");
    if (field === "data") ev.data.push(value);
    else if (field === "event") ev.event = value;
    else if (field === "id") ev.id = value;
  }
  return ev;
}

// ------------------------------------------------------------------ live stream (server-sent events over fetch)
async function stream() {
  const conn = document.getElementById("conn");
  for (;;) {
    try {
      // resume where the first load, or the last event received, left off
      const headers = { "X-API-Key": state.key, Accept: "text/event-stream", "Last-Event-ID": state.cursor };
      const r = await fetch("/dashboard/api/stream", { headers });
      if (!r.ok) throw new Error(refused(r.status) || "HTTP " + r.status);
      conn.textContent = "live"; conn.className = "conn live";
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const ev = parseEvent(buf.slice(0, i)); buf = buf.slice(i + 2);
          if (!ev.data.length) continue;
          let d;
          try { d = JSON.parse(ev.data.join("\n")); } catch (e) {
            addToFeed({ note: `an event (${ev.event}) could not be read: ${e.message}` }); // say so, and go on
            if (ev.id !== null) state.cursor = ev.id;
            continue;
          }
          if (ev.event === "message") onMessage(d);
          else if (ev.event === "tick") renderTick(d);
          else if (ev.event === "skipped") onSkipped(d);
          if (ev.id !== null) state.cursor = ev.id; // once handled: a reconnect resends what was not
        }
      }
    } catch (e) {
      conn.textContent = "reconnecting… (" + e.message + ")"; conn.className = "conn";
    }
    await new Promise((ok) => setTimeout(ok, 1000));
  }
}

async function main() {
  state.key = keyFromUrl();
  const conn = document.getElementById("conn");
  if (!state.key) { conn.textContent = "add #key=<operator key> to the URL (swsim parties shows it)"; return; }
  try {
    const o = await api("overview");
    state.parties = o.parties;
    for (const p of o.parties) state.names[p.id] = p.name;
    drawNetwork();
    state.feed = o.recent;
    state.cursor = o.cursor;
    renderList("feed", state.feed, feedItem, "");
    renderTick(o);
    const last = o.recent.find((m) => m.correlation);
    if (last) { state.query = last.correlation; await loadTimeline(state.query); }
  } catch (e) { conn.textContent = "error: " + e.message; return; }
  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = document.getElementById("q").value.trim();
    state.follow = q === "";
    state.query = q;
    if (q) loadTimeline(q).catch((e) => { document.getElementById("tl-title").textContent = e.message; });
  });
  stream();
}

main();
