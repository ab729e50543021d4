// tradeguard dashboard: renders the snapshot the page carries, then follows the journal by
// Server-Sent Events (id = journal seq; the browser resumes with Last-Event-ID by itself).
// Every value reaches the DOM through textContent, never innerHTML.
"use strict";
(function () {
  const SECTIONS = ["status", "kill_switch", "positions", "balances", "open_orders", "fills",
    "pnl_curve", "limits", "errors", "alerts", "ladder", "chain"];
  const COLUMNS = {
    positions: ["symbol", "qty", "avg_price", "mark", "realized_pnl", "unrealized_pnl", "fees"],
    balances: ["asset", "free", "locked", "total", "limit", "used"],
    open_orders: ["client_order_id", "order_id", "symbol", "side", "type", "price", "qty",
      "filled", "status", "transport", "age_s", "at_ms"],
    fills: ["at_ms", "symbol", "side", "qty", "price", "fee", "fee_asset", "liquidity",
      "trade_id", "client_order_id"],
    errors: ["at_ms", "kind", "code", "message"],
    alerts: ["at_ms", "kind", "message"],
  };
  const HIDDEN = new Set(["kind", "event", "profile"]);
  const KEEP_FILLS = 200;
  const $ = (id) => document.getElementById(id);
  const tg = (window.tradeguard = { seen: [], renderedAt: {}, state: null, source: null });

  let state = JSON.parse($("snapshot").textContent);
  tg.state = state;

  // ── formatting ────────────────────────────────────────────────────────────────────────────
  const NUMERIC = /^-?\d+(\.\d+)?(e-?\d+)?$/i;
  function isNum(v) { return typeof v === "number" || (typeof v === "string" && NUMERIC.test(v)); }
  function clock(ms) {
    const d = new Date(Number(ms));
    return isNaN(d) ? String(ms) : d.toISOString().slice(11, 23).replace("T", " ");
  }
  function text(key, v) {
    if (v === null || v === undefined) return "";
    if (/(^|_)ms$/.test(key) && isNum(v) && Number(v) > 1e12) return clock(v);
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function cell(tr, key, v) {
    const td = document.createElement("td");
    td.textContent = text(key, v);
    if (isNum(v) && !/(^|_)(ms|id)$/.test(key)) {
      td.className = "num";
      if (/pnl/.test(key) && Number(v) !== 0) td.classList.add(Number(v) > 0 ? "pos" : "neg");
    }
    if (key === "side" && typeof v === "string") td.classList.add(v);
    tr.appendChild(td);
  }

  // ── tables ────────────────────────────────────────────────────────────────────────────────
  function columnsOf(name, rows) {
    const cols = (COLUMNS[name] || []).filter((c) => rows.some((r) => c in r));
    for (const r of rows) for (const k of Object.keys(r))
      if (!cols.includes(k) && !HIDDEN.has(k) && k !== "seq") cols.push(k);
    return cols;
  }
  function rowsOf(value) {
    if (Array.isArray(value)) return value.map((r) => (r && typeof r === "object" ? r : { value: r }));
    if (value && typeof value === "object")
      return Object.entries(value).map(([k, v]) =>
        v && typeof v === "object" && !Array.isArray(v) ? { name: k, ...v } : { name: k, value: v });
    return [];
  }
  function table(name, value, newestFirst) {
    const el = $(name);
    if (!el) return;
    let rows = rowsOf(value);
    if (newestFirst) rows = rows.slice().reverse();
    const cols = columnsOf(name, rows);
    const head = document.createElement("tr");
    for (const c of cols) {
      const th = document.createElement("th");
      th.textContent = c.replace(/_ms$/, "").replace(/_/g, " ");
      if (rows.length && isNum(rows[0][c]) && !/(^|_)(ms|id)$/.test(c)) th.className = "num";
      head.appendChild(th);
    }
    el.tHead.replaceChildren(head);
    const body = el.tBodies[0];
    const before = new Set([...body.rows].map((r) => r.dataset.key));
    const trs = rows.map((r, i) => {
      const tr = document.createElement("tr");
      tr.dataset.key = String(r.seq ?? r.trade_id ?? r.client_order_id ?? r.symbol ?? r.asset ?? i);
      if (r.seq !== undefined) tr.dataset.seq = String(r.seq);
      for (const c of cols) cell(tr, c, r[c]);
      if (before.size && !before.has(tr.dataset.key)) tr.className = "fresh";
      return tr;
    });
    if (!trs.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.className = "empty";
      td.textContent = "none";
      tr.appendChild(td);
      trs.push(tr);
    }
    body.replaceChildren(...trs);
  }

  // ── the other panels ──────────────────────────────────────────────────────────────────────
  function flat(obj, prefix, out) {
    for (const [k, v] of Object.entries(obj || {})) {
      const key = prefix ? prefix + "." + k : k;
      if (v && typeof v === "object" && !Array.isArray(v)) flat(v, key, out);
      else out.push([key, v]);
    }
    return out;
  }
  function statusBar(status) {
    const box = $("status-fields");
    const chips = flat(status, "", []).filter(([k]) => !["venue", "env", "profile", "rung"].includes(k))
      .map(([k, v]) => {
        const span = document.createElement("span");
        span.className = "chip";
        span.append(k.replace(/_/g, " ") + " ");
        const b = document.createElement("b");
        b.textContent = text(k, v);
        span.appendChild(b);
        return span;
      });
    box.replaceChildren(...chips);
    const rung = status && (status.rung || status.env);
    if (rung) $("rung").querySelector("b").textContent = String(rung);
  }
  function chain(c) {
    const parts = flat(c, "", []).map(([k, v]) => k.replace(/_/g, " ") + " " + text(k, v));
    $("chain-text").textContent = parts.join(" · ") || "…";
  }
  function killSwitch(k) {
    k = k || {};
    const engaged = Boolean(k.latched ?? k.engaged ?? (k.state === "engaged"));
    $("kill").dataset.state = engaged ? "engaged" : "armed";
    $("kill-state").textContent = engaged ? "ENGAGED" : "armed";
    const detail = [];
    if (engaged) {
      if (k.reason) detail.push(String(k.reason));
      if (k.by) detail.push("by " + k.by);
      if (k.at_ms) detail.push("at " + clock(k.at_ms));
    } else detail.push("trading allowed");
    $("kill-detail").textContent = detail.join(" · ");
  }
  function meters(limits) {
    const box = $("limits");
    const rows = rowsOf(limits).map((r) => {
      const div = document.createElement("div");
      div.className = "meter";
      const name = document.createElement("span");
      name.textContent = String(r.name ?? r.rule ?? r.limit_name ?? "");
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("i");
      const used = Number(r.used ?? r.value ?? 0), limit = Number(r.limit ?? r.max ?? 0);
      const share = limit > 0 ? used / limit : 0;
      fill.style.width = Math.min(100, share * 100).toFixed(1) + "%";
      if (share > 0.8) fill.className = "bad"; else if (share > 0.5) fill.className = "warn";
      bar.appendChild(fill);
      const val = document.createElement("span");
      val.className = "val";
      val.textContent = limit > 0 ? `${r.used ?? r.value ?? 0}/${r.limit ?? r.max}` : text("", r.value ?? "");
      div.append(name, bar, val);
      return div;
    });
    if (!rows.length) {
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = "no request yet";
      rows.push(p);
    }
    box.replaceChildren(...rows);
  }
  function ladder(l) {
    const items = [];
    for (const [k, v] of flat(l, "", [])) {
      const dt = document.createElement("dt");
      dt.textContent = k.replace(/_/g, " ");
      const dd = document.createElement("dd");
      dd.textContent = Array.isArray(v) ? v.map((x) => text("", x)).join("; ") : text(k, v);
      items.push(dt, dd);
    }
    $("ladder").replaceChildren(...items);
  }
  let plot = null;
  function points(curve) {
    const xs = [], ys = [];
    for (const p of curve || []) {
      const t = Array.isArray(p) ? p[0] : (p.t ?? p.at_ms ?? p.time_ms ?? p.time);
      const y = Array.isArray(p) ? p[1] : (p.pnl ?? p.realized_pnl ?? p.value ?? p.y);
      if (t === undefined || y === undefined) continue;
      xs.push(Number(t) / 1000);
      ys.push(Number(y));
    }
    return [xs, ys];
  }
  function pnl(curve) {
    const data = points(curve);
    const el = $("pnl");
    if (typeof uPlot === "undefined") { el.textContent = "chart library missing"; return; }
    const width = Math.max(300, el.clientWidth || 400);
    if (!plot) {
      const css = getComputedStyle(document.documentElement);
      plot = new uPlot({
        width, height: 180, legend: { show: false }, cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{ stroke: css.getPropertyValue("--dim"), grid: { stroke: css.getPropertyValue("--line") } },
          { stroke: css.getPropertyValue("--dim"), grid: { stroke: css.getPropertyValue("--line") }, size: 60 }],
        series: [{}, { label: "PnL", stroke: css.getPropertyValue("--accent"), width: 1.5,
          paths: uPlot.paths.stepped({ align: 1 }) }],
      }, data, el);
    } else plot.setData(data);
  }

  function render() {
    statusBar(state.status);
    chain(state.chain);
    killSwitch(state.kill_switch);
    table("positions", state.positions);
    table("balances", state.balances);
    table("open_orders", state.open_orders);
    table("fills", state.fills, true);
    table("errors", state.errors, true);
    table("alerts", state.alerts, true);
    meters(state.limits);
    ladder(state.ladder);
    pnl(state.pnl_curve);
    $("seq").textContent = String(state.seq);
    tg.state = state;
  }

  // ── live ──────────────────────────────────────────────────────────────────────────────────
  function merge(p) {
    if (p.kind === "snapshot") { state = p.snapshot || p; return; }
    for (const key of SECTIONS) if (key in p) state[key] = p[key];
    if (p.kind === "fill" && !("fills" in p)) {
      state.fills = (state.fills || []).concat([p.fill || p]).slice(-KEEP_FILLS);
    }
    if ((p.kind === "kill_switch" || p.kind === "kill") && !("kill_switch" in p)) {
      state.kill_switch = p;
    }
  }
  let refetch = null;
  function refresh() {  // the whole snapshot again, shortly after a burst of events
    if (refetch) return;
    refetch = setTimeout(async () => {
      refetch = null;
      try {
        const r = await fetch("api/snapshot.json", { cache: "no-store" });
        const snap = await r.json();
        if (snap.seq >= state.seq) { state = snap; render(); }
      } catch (e) { /* the stream's own reconnect shows the link state */ }
    }, 400);
  }
  function link(up, label) {
    $("link-dot").className = "dot " + (up ? "up" : "down");
    $("link-text").textContent = label;
  }
  function connect() {
    const es = new EventSource("events?after=" + encodeURIComponent(state.seq));
    tg.source = es;
    es.onopen = () => link(true, "live");
    es.onerror = () => link(false, "reconnecting");
    es.onmessage = (e) => {
      const seq = Number(e.lastEventId);
      const p = JSON.parse(e.data);
      tg.seen.push(seq);
      if (p.kind !== "snapshot" && seq <= state.seq) return;
      merge(p);
      state.seq = seq;
      render();
      tg.renderedAt[seq] = performance.timeOrigin + performance.now();
      if (p.kind !== "snapshot") refresh();
    };
  }

  // ── the kill switch ───────────────────────────────────────────────────────────────────────
  $("kill-button").addEventListener("click", () => $("kill-confirm").showModal());
  $("kill-confirm").addEventListener("close", async () => {
    if ($("kill-confirm").returnValue !== "engage") return;
    const out = $("kill-result");
    out.textContent = "engaging…";
    try {
      const r = await fetch("api/kill", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Tradeguard-Action": "kill" },
        body: JSON.stringify({ reason: $("kill-reason").value }),
      });
      const body = await r.json();
      out.textContent = body.message || body.error || r.statusText;
    } catch (e) { out.textContent = "the dashboard did not answer: " + e; }
  });

  render();
  connect();
})();
