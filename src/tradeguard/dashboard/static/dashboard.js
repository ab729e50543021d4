// tradeguard dashboard: renders the snapshot the page carries, then follows the journal by
// Server-Sent Events (id = journal seq; the browser resumes with Last-Event-ID by itself).
// Every value reaches the DOM through textContent, never innerHTML.
"use strict";
(function () {
  const SECTIONS = ["status", "kill_switch", "positions", "balances", "open_orders", "fills",
    "pnl_curve", "limits", "errors", "alerts", "ladder", "chain"];
  const KEEP = 200;
  const $ = (id) => document.getElementById(id);
  const tg = (window.tradeguard = { seen: [], renderedAt: {}, state: null, source: null });

  let state = JSON.parse($("snapshot").textContent);

  // ── formatting ────────────────────────────────────────────────────────────────────────────
  const NUMERIC = /^-?\d+(\.\d+)?(e-?\d+)?$/i;
  const isNum = (v) => typeof v === "number" || (typeof v === "string" && NUMERIC.test(v));
  // amounts come as exact decimal strings; on screen, at most 8 decimals (the journal keeps all)
  function short(v) {
    if (typeof v !== "string" || !NUMERIC.test(v)) return v;
    const dot = v.indexOf(".");
    if (dot < 0 || v.length - dot - 1 <= 8) return v;
    return v.slice(0, dot + 9).replace(/0+$/, "").replace(/\.$/, "");
  }
  function clock(ms) {
    const d = new Date(Number(ms));
    return isNaN(d) ? String(ms) : d.toISOString().slice(11, 23);
  }
  function age(ms) {
    if (ms === null || ms === undefined) return "";
    const s = Math.max(0, (Date.now() - Number(ms)) / 1000);
    return s < 120 ? s.toFixed(0) + " s" : s < 7200 ? (s / 60).toFixed(0) + " min" : (s / 3600).toFixed(1) + " h";
  }
  function text(key, v) {
    if (v === null || v === undefined) return "";
    if (/(^|_)ms$/.test(key) && isNum(v) && Number(v) > 1e12) return clock(v);
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v === "object") return Object.entries(v).map(([k, x]) => k + " " + text(k, x)).join(", ");
    return String(v);
  }
  const el = (tag, cls, content) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (content !== undefined) e.textContent = content;
    return e;
  };

  // ── tables: each row shaped for people, then drawn the same way ───────────────────────────
  // [column title, how to read it from a row, kind: "num" | "pnl" | "side" | "time" | ""]
  const TABLES = {
    positions: [["symbol", (r) => r.symbol], ["qty", (r) => r.qty, "num"],
      ["avg entry", (r) => r.average_entry, "num"], ["mark", (r) => r.mark, "num"],
      ["realized", (r) => r.realized_pnl, "pnl"], ["unrealized", (r) => r.unrealized_pnl, "pnl"],
      ["fees incl.", (r) => (r.fees_included === false ? "no: " + text("", r.fees_unvalued) : "yes")],
      ["limit use", (r) => limitUse(r.limit), "num"]],
    balances: [["asset", (r) => r.asset], ["free", (r) => r.free, "num"],
      ["locked", (r) => r.locked, "num"], ["total", (r) => r.total, "num"]],
    open_orders: [["client order id", (r) => r.client_order_id], ["symbol", (r) => r.symbol],
      ["side", (r) => r.side, "side"], ["type", (r) => r.type], ["price", (r) => r.price ?? "market", "num"],
      ["qty", (r) => r.qty, "num"], ["filled", (r) => r.filled, "num"], ["status", (r) => r.status],
      ["age", (r) => age(r.created_ms), "num"], ["order id", (r) => r.order_id]],
    fills: [["time", (r) => clock(r.at_ms), "time"], ["symbol", (r) => r.symbol],
      ["side", (r) => r.side, "side"], ["qty", (r) => r.qty, "num"], ["price", (r) => r.price, "num"],
      ["quote", (r) => r.quote, "num"], ["fee", (r) => (r.fee ?? "") + (r.fee_asset ? " " + r.fee_asset : ""), "num"],
      ["liq.", (r) => r.liquidity], ["trade id", (r) => r.trade_id], ["order", (r) => r.client_order_id ?? r.order_id]],
    alerts: [["time", (r) => clock(r.at_ms), "time"], ["severity", (r) => r.severity ?? r.kind],
      ["what", (r) => r.title ?? r.kind], ["message", (r) => r.message]],
    promotion: [["rule", (r) => r.rule], ["ok", (r) => (r.passed ? "✓" : "✗")],
      ["figure", (r) => r.figure, "num"], ["needed", (r) => r.needed, "num"]],
  };
  function limitUse(l) {
    if (!l) return "";
    if ("max_qty" in l) return `${short(l.used_qty) ?? "?"}/${l.max_qty}`;
    return `${short(l.used_notional) ?? "?"}/${l.max_notional}`;
  }
  function table(name, rows, newestFirst) {
    const t = $(name);
    if (!t) return;
    rows = Array.isArray(rows) ? rows.slice() : [];
    if (newestFirst) rows.reverse();
    const cols = TABLES[name];
    const head = el("tr");
    for (const [title, , kind] of cols) head.appendChild(el("th", kind === "num" || kind === "pnl" ? "num" : "", title));
    t.tHead.replaceChildren(head);
    const body = t.tBodies[0];
    const before = new Set([...body.rows].map((r) => r.dataset.key));
    const trs = rows.map((r, i) => {
      const tr = el("tr");
      tr.dataset.key = String(r.seq ?? r.client_order_id ?? r.symbol ?? r.asset ?? r.rule ?? i);
      if (r.seq !== undefined) tr.dataset.seq = String(r.seq);
      for (const [, read, kind] of cols) {
        const v = kind === "num" || kind === "pnl" ? short(read(r)) : read(r);
        const td = el("td", "", v === null || v === undefined ? "" : String(v));
        if (kind === "num" || kind === "pnl") td.className = "num";
        if (kind === "pnl" && isNum(v) && Number(v) !== 0) td.classList.add(Number(v) > 0 ? "pos" : "neg");
        if (kind === "side" && v) td.classList.add(String(v));
        if (kind === "time") td.className = "time";
        tr.appendChild(td);
      }
      if (before.size && !before.has(tr.dataset.key) && r.seq !== undefined) tr.className = "fresh";
      return tr;
    });
    if (!trs.length) {
      const tr = el("tr");
      const td = el("td", "empty", "none");
      td.colSpan = cols.length;
      tr.appendChild(td);
      trs.push(tr);
    }
    body.replaceChildren(...trs);
  }

  // ── the other panels ──────────────────────────────────────────────────────────────────────
  function chip(label, value, cls) {
    const span = el("span", "chip" + (cls ? " " + cls : ""), label + " ");
    span.appendChild(el("b", "", value));
    return span;
  }
  function statusBar(s) {
    s = s || {};
    const chips = [];
    if (s.mode) chips.push(chip("mode", s.mode));
    for (const st of s.streams || []) {
      const last = st.last_message_ms ? " · " + age(st.last_message_ms) + " ago" : "";
      chips.push(chip(st.stream + " stream", (st.up ? "up" : "DOWN") + last, st.up ? "" : "alarm"));
    }
    if (s.clock) chips.push(chip("clock offset",
      `${s.clock.offset_ms} ms (rtt ${Number(s.clock.rtt_ms).toFixed(1)} ms)`));
    if (s.shut_down) chips.push(chip("bot", "stopped: " + text("", s.shut_down)));
    $("status-fields").replaceChildren(...chips);
    const rung = s.rung || s.env;
    if (rung) $("rung").querySelector("b").textContent = String(rung);
  }
  function chain(c, seq) {
    c = c || {};
    const parts = [`seq ${seq}`];
    if (c.head_hash && c.head_seq === seq) parts.push(c.head_hash.slice(0, 12) + "…");
    if (c.verified && typeof c.verified === "object")
      parts.push(c.verified_is_head ? "verified to head" : `verified to ${c.verified.seq}`);
    else parts.push("not verified yet");
    $("chain-text").textContent = parts.join(" · ");
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
      const at = k.since_ms ?? k.at_ms;
      if (at) detail.push("since " + clock(at));
    } else detail.push("trading allowed");
    $("kill-detail").textContent = detail.join(" · ");
  }
  function meter(name, used, limit) {
    const row = el("div", "meter");
    const bar = el("span", "bar");
    const fill = el("i");
    const share = limit > 0 && used !== null && used !== undefined ? Number(used) / Number(limit) : 0;
    fill.style.width = Math.min(100, share * 100).toFixed(1) + "%";
    if (share > 0.8) fill.className = "bad"; else if (share > 0.5) fill.className = "warn";
    bar.appendChild(fill);
    const shown = used === null || used === undefined ? `—/${limit}` : `${used}/${limit}`;
    row.append(el("span", "", name), bar, el("span", "val", shown));
    return row;
  }
  function limits(l) {
    l = l || {};
    const rows = (l.rate_limits || []).map((r) =>
      meter(`${String(r.kind).toLowerCase().replace(/_/g, " ")} ${r.interval}`, r.used, r.limit));
    if (!rows.length) rows.push(el("p", "empty", "the exchange's limits are not known yet"));
    $("limits").replaceChildren(...rows);
    const held = (l.held || []).map((h) =>
      el("p", "alarm-line", `${h.limit}: ${h.reason ?? "held"}` + (h.until_ms ? ` until ${clock(h.until_ms)}` : "")));
    if (!held.length) held.push(el("p", "ok-line", "no ban or pause"));
    $("held").replaceChildren(...held);
    const counts = [];
    const hits = Object.entries(l.rate_limit_hits || {});
    if (hits.length) counts.push("rate-limit hits: " + hits.map(([k, v]) => `${k} ×${v}`).join(", "));
    const denials = Object.entries(l.risk_denials || {});
    if (denials.length) counts.push("risk denials: " + denials.map(([k, v]) => `${k} ×${v}`).join(", "));
    if (l.peak_weight !== undefined && l.peak_weight !== null) counts.push(`peak weight ${l.peak_weight}`);
    $("limit-counts").textContent = counts.join(" · ");
  }
  function balances(b) {
    b = b || {};
    table("balances", Array.isArray(b) ? b : b.assets);
    const box = $("balance-limits");
    const lim = b.limits;
    if (!lim) { box.replaceChildren(); return; }
    const rows = [];
    if (lim.max_open_orders !== undefined) rows.push(meter("open orders", lim.open_orders ?? 0, lim.max_open_orders));
    const dl = el("dl", "pairs");
    for (const [k, v] of Object.entries(lim)) {
      if (k === "open_orders" || k === "max_open_orders") continue;
      dl.append(el("dt", "", k.replace(/_/g, " ")), el("dd", "num", text(k, v)));
    }
    rows.push(dl);
    box.replaceChildren(...rows);
  }
  function ladder(l) {
    l = l || {};
    const items = [el("dt", "", "rung"), el("dd", "", String(l.rung ?? "?"))];
    for (const [k, v] of Object.entries(l.caps || {})) items.push(el("dt", "", k.replace(/_/g, " ")), el("dd", "num", text(k, v)));
    const p = l.promotion;
    if (p) {
      items.push(el("dt", "", "promotion"),
        el("dd", p.allowed ? "ok-line" : "", p.allowed ? `allowed to ${p.target}` : `to ${p.target ?? "the next rung"}: not yet`));
      for (const reason of p.reasons || []) items.push(el("dt", "", ""), el("dd", "", "needs " + reason));
      if (p.needs_acknowledgement) items.push(el("dt", "", ""), el("dd", "", "needs your acknowledgement"));
    } else items.push(el("dt", "", "promotion"), el("dd", "", "`tradeguard promote` says what it needs"));
    $("ladder").replaceChildren(...items);
    table("promotion", p ? p.checks : []);
  }
  let plot = null;
  function curveData(curve) {
    const pts = Array.isArray(curve) ? curve : (curve && curve.points) || [];
    const xs = [], realized = [], tail = [];
    for (const p of pts) {
      const t = Array.isArray(p) ? p[0] : (p.t ?? p.at_ms);
      const y = Array.isArray(p) ? p[1] : (p.pnl ?? p.value);
      if (t === undefined || y === undefined) continue;
      xs.push(Number(t) / 1000); realized.push(Number(y)); tail.push(null);
    }
    if (curve && !Array.isArray(curve) && xs.length && isNum(curve.total)) {
      // the dashed segment: from the last realized point to unrealized PnL now (FreqUI #1251)
      tail[tail.length - 1] = realized[realized.length - 1];
      const end = Math.max(xs[xs.length - 1] + 1, Number(curve.end_ms ?? 0) / 1000, Date.now() / 1000);
      xs.push(end); realized.push(null); tail.push(Number(curve.total));
    }
    return [xs, realized, tail];
  }
  function pnl(curve) {
    const sum = $("pnl-summary");
    if (curve && !Array.isArray(curve)) {
      const q = curve.quote ? " " + curve.quote : "";
      sum.replaceChildren(
        chip("realized", short(curve.realized ?? "0") + q, Number(curve.realized) < 0 ? "neg" : ""),
        chip("unrealized", short(curve.unrealized ?? "0") + q, Number(curve.unrealized) < 0 ? "neg" : ""),
        chip("total", short(curve.total ?? "0") + q, Number(curve.total) < 0 ? "neg" : ""),
        chip("fees", curve.fees_included === false ? "NOT all included" : "included"));
      if (curve.basis) $("pnl-basis").textContent = "Basis: " + curve.basis + ".";
    }
    const data = curveData(curve);
    const box = $("pnl");
    if (typeof uPlot === "undefined") { box.textContent = "chart library missing"; return; }
    if (!plot) {
      const css = getComputedStyle(document.documentElement);
      const c = (name) => css.getPropertyValue(name).trim();
      const axis = { stroke: c("--dim"), grid: { stroke: c("--line"), width: 1 }, ticks: { stroke: c("--line") } };
      plot = new uPlot({
        width: Math.max(300, box.clientWidth || 400), height: 190, legend: { show: false },
        cursor: { drag: { x: false, y: false } }, scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 64 }],
        series: [{},
          { label: "realized", stroke: c("--accent"), width: 1.5, paths: uPlot.paths.stepped({ align: 1 }), spanGaps: false },
          { label: "with unrealized", stroke: c("--accent"), width: 1.5, dash: [5, 4], spanGaps: true, points: { show: false } }],
      }, data, box);
    } else plot.setData(data);
  }

  function render() {
    statusBar(state.status);
    chain(state.chain, state.seq);
    killSwitch(state.kill_switch);
    table("positions", state.positions);
    const basis = (state.positions || []).map((p) => p.basis).find(Boolean);
    if (basis) $("positions-basis").textContent = "PnL basis: " + basis + ".";
    balances(state.balances);
    table("open_orders", state.open_orders);
    table("fills", state.fills, true);
    table("alerts", [...(state.errors || []), ...(state.alerts || [])]
      .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)), true);
    limits(state.limits);
    ladder(state.ladder);
    pnl(state.pnl_curve);
    $("seq").textContent = String(state.seq);
    tg.state = state;
  }

  // ── live ──────────────────────────────────────────────────────────────────────────────────
  function append(list, item) {
    list = (list || []).filter((x) => x.seq === undefined || x.seq !== item.seq);
    return list.concat([item]).slice(-KEEP);
  }
  function merge(p) {
    if (p.kind === "snapshot") { state = p.snapshot || p; return; }
    for (const key of SECTIONS) {
      if (!(key in p)) continue;
      if (key === "pnl_curve" && p.pnl_curve && !("points" in p.pnl_curve)) {
        const points = (state.pnl_curve && state.pnl_curve.points) || [];
        state.pnl_curve = { ...p.pnl_curve, points: p.pnl_point ? points.concat([p.pnl_point]) : points };
      } else state[key] = p[key];
    }
    if (p.fill && !("fills" in p)) state.fills = append(state.fills, p.fill);
    if (p.alert && !("alerts" in p)) state.alerts = append(state.alerts, p.alert);
  }
  let refetch = null;
  let drawn = null;  // when the last fetched snapshot was drawn: events it covered show from then
  function refresh() {  // the whole snapshot again after a burst: what no payload carried
    if (refetch) return;
    refetch = setTimeout(async () => {
      refetch = null;
      try {
        const r = await fetch("api/snapshot.json", { cache: "no-store" });
        const snap = await r.json();
        if (snap.seq >= state.seq) {
          state = snap;
          render();
          drawn = performance.timeOrigin + performance.now();
        }
      } catch (e) { /* the stream's own reconnect shows the link state */ }
    }, 1000);
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
      if (p.kind !== "snapshot" && seq <= state.seq) {  // a fetched snapshot drew it already
        tg.renderedAt[seq] = tg.renderedAt[seq] ?? drawn;
        return;
      }
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
  setInterval(() => statusBar(state.status), 5000);  // ages move on without events
})();
