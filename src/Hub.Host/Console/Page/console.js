// The Hub's operator console: plain JavaScript, no build step. Reads /api/operator/console/* with the operator's API key
// (kept in sessionStorage for this tab only, sent as X-Api-Key); every text from the Hub goes into the page as text.
"use strict";

(() => {
  const KEY = "hub-api-key";
  const API = "/api/operator/console";
  const FAST = 5000;   // queues, quarantine, services
  const SLOW = 15000;  // failed messages: each read goes through the error queue
  const QUALITY = 30000; // data quality over a day; a week or a month is read every LONG_QUALITY (seconds of database work each at scale)
  const LONG_QUALITY = 300000;
  let lastQuality = 0;
  const $ = (id) => document.getElementById(id);
  const open = new Set();  // groups whose messages are shown
  let timers = [];
  let lastFailed = 0;

  // ---- small helpers ----------------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "onclick") e.addEventListener("click", v);
      else if (k.startsWith("data-") || k === "title" || k === "colspan" || k === "type" || k === "placeholder" || k === "aria-label") e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const num = (v) => v === null || v === undefined ? "–" : Number(v).toLocaleString("en");
  const rate = (v) => v === null || v === undefined ? "–" : (Math.round(v * 10) / 10).toString();
  function age(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  const time = (iso) => iso ? new Date(iso).toLocaleString() : "–";
  function replaceRows(tbody, rows) { tbody.replaceChildren(...rows); }

  function notice(text, bad) {
    const n = $("notice");
    n.textContent = text;
    n.className = bad ? "bad" : "";
    n.hidden = !text;
  }

  class Unauthorised extends Error {}

  async function call(path, options) {
    const key = sessionStorage.getItem(KEY);
    const init = Object.assign({ headers: {} }, options || {});
    init.headers = Object.assign({ "X-Api-Key": key || "", "Accept": "application/json" }, init.headers);
    if (init.body !== undefined) init.headers["Content-Type"] = "application/json";
    const response = await fetch(API + path, init);
    if (response.status === 401) throw new Unauthorised("the key is not valid (unknown or revoked)");
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (response.status === 403) throw new Unauthorised((body && body.detail) || "this key may not operate the Hub");
    if (!response.ok) {
      const e = new Error((body && body.detail) || ("the Hub answered " + response.status));
      e.status = response.status;
      e.body = body;
      throw e;
    }
    return body;
  }

  // ---- signing in -------------------------------------------------------------------------------------------------
  function showSignIn(problem) {
    timers.forEach(clearInterval);
    timers = [];
    $("console").hidden = true;
    $("sign-in").hidden = false;
    $("sign-out").hidden = true;
    $("status").textContent = "not signed in";
    const p = $("sign-in-problem");
    p.textContent = problem || "";
    p.hidden = !problem;
  }

  async function start() {
    $("sign-in").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    await refreshFast();
    await refreshFailed();
    timers.push(setInterval(refreshFast, FAST));
    timers.push(setInterval(() => { if (Date.now() - lastFailed >= SLOW - 100) refreshFailed(); }, SLOW));
    await refreshQuality();
    timers.push(setInterval(() => {
      if (Date.now() - lastQuality >= ($("period-kind").value === "day" ? QUALITY : LONG_QUALITY) - 100) refreshQuality();
    }, QUALITY));
  }

  function failed(e) {
    if (e instanceof Unauthorised) {
      sessionStorage.removeItem(KEY);
      showSignIn(e.message);
      return true;
    }
    return false;
  }

  // ---- queues -----------------------------------------------------------------------------------------------------
  async function refreshFast() {
    try {
      const [q, quarantine, services, agencies] = await Promise.all([call("/queues"), call("/quarantine"), call("/services"), call("/agencies")]);
      renderQueues(q);
      renderQuarantine(quarantine);
      renderServices(services);
      renderAgencies(agencies);
      $("status").textContent = "updated " + new Date().toLocaleTimeString() + " · refreshes every " + FAST / 1000 + " s";
    } catch (e) {
      if (!failed(e)) $("status").textContent = "could not refresh: " + e.message;
    }
  }

  function renderQueues(view) {
    const report = view.queues;
    const problem = $("broker-problem");
    problem.hidden = report.brokerReachable || !report.problem;
    problem.textContent = report.problem ? "Broker figures unavailable — " + report.problem : "";
    $("queues-source").textContent = report.source === "management"
      ? "From the RabbitMQ management API."
      : report.source === "counters"
        ? "From the Hub's own counters (this process's in-memory bus)."
        : "";
    const rows = report.queues.map((q) => el("tr", {
      class: q.isError ? "error-queue" + ((q.ready || 0) + (q.unacknowledged || 0) > 0 ? " has-messages" : "") : "",
      "data-queue": q.name,
    },
      el("td", {}, q.name, q.isError ? el("span", { class: "badge bad" }, "error queue") : null),
      el("td", { class: "n", "data-field": "ready" }, num(q.ready)),
      el("td", { class: "n", "data-field": "unacknowledged" }, num(q.unacknowledged)),
      el("td", { class: "n" }, rate(q.publishRate)),
      el("td", { class: "n" }, rate(q.deliverRate)),
      el("td", { class: "n", "data-field": "consumers" }, num(q.consumers)),
      el("td", { class: "n" }, age(q.oldestAgeSeconds))));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "7", class: "hint" }, "no queue figures")));
    replaceRows(document.querySelector("#queues tbody"), rows);
    $("outbox-pending").textContent = num(view.outbox.pending);
    $("outbox-age").textContent = view.outbox.pending > 0 ? "oldest pending " + age(view.outbox.oldestPendingAgeSeconds) : "nothing pending";
    $("outbox-card").classList.toggle("bad", (view.outbox.oldestPendingAgeSeconds || 0) > 60);
    $("quarantine-waiting").textContent = num(view.quarantineWaiting);
  }

  // ---- failed messages --------------------------------------------------------------------------------------------
  async function refreshFailed() {
    lastFailed = Date.now();
    try {
      renderFailed(await call("/failed"));
    } catch (e) {
      if (!failed(e)) $("failed-summary").textContent = "could not read the error queue: " + e.message;
    }
  }

  function renderFailed(view) {
    const summary = $("failed-summary");
    $("replay-all").hidden = !view.available || view.groups.length === 0;
    $("failed-groups").hidden = !view.available;
    if (!view.available) {
      summary.textContent = view.problem;
      replaceRows(document.querySelector("#failed-groups tbody"), []);
      return;
    }
    // every error queue (the single-record path's, the bulk path's) with its depth
    const names = view.queues.map((q) => q.queue).join(" and ");
    summary.textContent = view.inQueue === 0
      ? "Nothing in " + names + "."
      : view.queues.map((q) => num(q.inQueue) + " message(s) in " + q.queue +
          (q.read < q.inQueue ? " (grouped from the first " + num(q.read) + ")" : "")).join(", ") +
        " — " + view.groups.length + " group(s).";
    const rows = [];
    for (const g of view.groups) {
      rows.push(el("tr", { "data-group": g.id },
        el("td", { class: "n" }, num(g.count), g.repeats > 0 ? el("span", { class: "badge repeat", title: "failed again after a replay" }, g.repeats + " repeat") : null),
        el("td", {}, el("div", {}, g.exceptionType), el("div", { class: "cause" }, g.cause), el("div", { class: "hint" }, g.queue)),
        el("td", {}, g.agencies.join(", ")),
        el("td", {}, time(g.lastFailedAt)),
        el("td", { class: "actions" },
          el("button", { type: "button", class: "secondary", onclick: () => toggleGroup(g.id) }, open.has(g.id) ? "Hide" : "Show"),
          el("button", { type: "button", "data-action": "replay-group", onclick: () => act("/failed/groups/" + encodeURIComponent(g.id) + "/replay", null, "Replayed") }, "Replay group"),
          reasonButton("Discard group…", "discard-group", (reason) => act("/failed/groups/" + encodeURIComponent(g.id) + "/discard", { reason }, "Discarded")))));
      if (open.has(g.id)) rows.push(el("tr", { class: "detail", "data-group-detail": g.id }, el("td", { colspan: "5", id: "group-" + g.id }, "loading…")));
    }
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "5", class: "hint" }, "no failed messages")));
    replaceRows(document.querySelector("#failed-groups tbody"), rows);
    for (const id of open) if (view.groups.some((g) => g.id === id)) loadGroup(id); else open.delete(id);
  }

  function toggleGroup(id) {
    if (open.has(id)) open.delete(id); else open.add(id);
    refreshFailed();
  }

  async function loadGroup(id) {
    const cell = $("group-" + id);
    try {
      const messages = await call("/failed/groups/" + encodeURIComponent(id));
      cell.replaceChildren(el("div", { class: "scroll" }, el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "Record"), el("th", {}, "Reason"), el("th", {}, "Failed"), el("th", {}))),
        el("tbody", {}, messages.map((m) => el("tr", { "data-message": m.id },
          el("td", {}, (m.agencyCode || "?") + " / " + (m.sourceRecordId || "?") + (m.revision ? " r" + m.revision : "") +
              (m.records != null ? " and " + num(m.records - 1) + " more record(s)" : ""),
            el("div", { class: "hint" }, (m.messageType || "unreadable message") + (m.records != null ? " (a batch of " + num(m.records) + ")" : "")),
            m.repeat ? el("span", { class: "badge repeat" }, "repeat ×" + m.replays) : null),
          el("td", { class: "cause" }, m.reason),
          el("td", {}, time(m.failedAt)),
          el("td", { class: "actions" },
            el("button", { type: "button", onclick: () => act("/failed/messages/" + encodeURIComponent(m.id) + "/replay", null, "Replayed") }, "Replay"),
            reasonButton("Discard…", "discard-message", (reason) => act("/failed/messages/" + encodeURIComponent(m.id) + "/discard", { reason }, "Discarded")))))))));
    } catch (e) {
      if (!failed(e) && cell) cell.textContent = e.message;
    }
  }

  async function act(path, body, verb) {
    try {
      const r = await call(path, { method: "POST", body: body === null ? undefined : JSON.stringify(body) });
      notice(verb + " " + r.count + " message(s).");
    } catch (e) {
      if (!failed(e)) notice(e.message, true);
    }
    await refreshFailed();
    await refreshFast();
  }

  // ---- quarantine -------------------------------------------------------------------------------------------------
  const openQuarantine = new Set();

  function renderQuarantine(view) {
    // keep an open reason form while the operator types
    if (document.activeElement && document.activeElement.closest && document.activeElement.closest("#quarantine-groups form")) return;
    const rows = [];
    for (const g of view.groups) {
      const key = g.reasonCode + "|" + (g.agencyCode || "");
      rows.push(el("tr", { "data-reason": g.reasonCode, "data-agency": g.agencyCode || "" },
        el("td", {}, g.reasonCode),
        el("td", {}, g.agencyCode || "(no verified publisher)"),
        el("td", { class: "n" }, num(g.count)),
        el("td", {}, time(g.newestAt)),
        el("td", { class: "actions" }, el("button", { type: "button", class: "secondary", onclick: () => toggleQuarantine(key) }, openQuarantine.has(key) ? "Hide" : "Show"))));
      if (openQuarantine.has(key)) {
        const cell = el("td", { colspan: "5" }, "loading…");
        rows.push(el("tr", { class: "detail" }, cell));
        loadQuarantine(cell, g.reasonCode, g.agencyCode || "");
      }
    }
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "5", class: "hint" }, "nothing waits in quarantine")));
    replaceRows(document.querySelector("#quarantine-groups tbody"), rows);
  }

  function toggleQuarantine(key) {
    if (openQuarantine.has(key)) openQuarantine.delete(key); else openQuarantine.add(key);
    refreshFast();
  }

  async function loadQuarantine(cell, reasonCode, agency) {
    try {
      const entries = await call("/quarantine/entries?reasonCode=" + encodeURIComponent(reasonCode) + "&agency=" + encodeURIComponent(agency));
      cell.replaceChildren(el("div", { class: "scroll" }, el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "Record"), el("th", {}, "Reason"), el("th", {}, "Received"), el("th", {}))),
        el("tbody", {}, entries.map((q) => el("tr", { "data-quarantine": q.id },
          el("td", {}, (q.agencyCode || "?") + " / " + (q.sourceRecordId || "?") + (q.revision ? " r" + q.revision : ""), el("div", { class: "hint" }, q.kind)),
          el("td", { class: "reason" }, q.reason),
          el("td", {}, time(q.receivedAt)),
          el("td", { class: "actions" },
            el("button", { type: "button", "data-action": "release", onclick: () => decide("/quarantine/" + encodeURIComponent(q.id) + "/release", null) }, "Release"),
            reasonButton("Reject…", "reject", (reason) => decide("/quarantine/" + encodeURIComponent(q.id) + "/reject", { reason })))))))));
    } catch (e) {
      if (!failed(e)) cell.textContent = e.message;
    }
  }

  async function decide(path, body) {
    try {
      const r = await call(path, { method: "POST", body: body === null ? undefined : JSON.stringify(body) });
      notice("Quarantine entry " + r.id + ": " + r.outcome + " — " + r.detail);
    } catch (e) {
      if (!failed(e)) notice(e.message, true);
    }
    await refreshFast();
  }

  // ---- a button that asks for a written reason first --------------------------------------------------------------
  function reasonButton(label, action, then) {
    const holder = el("span", {});
    const button = el("button", { type: "button", class: "danger", "data-action": action }, label);
    button.addEventListener("click", () => {
      const input = el("input", { type: "text", placeholder: "reason (required)", "aria-label": "reason", required: true, maxLength: 500 });
      const form = el("form", { class: "reason-form" }, input,
        el("button", { type: "submit", class: "danger", "data-action": action + "-confirm" }, "Confirm"),
        el("button", { type: "button", class: "secondary", onclick: () => holder.replaceChildren(button) }, "Cancel"));
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const reason = input.value.trim();
        if (reason) then(reason);
      });
      holder.replaceChildren(form);
      input.focus();
    });
    holder.append(button);
    return holder;
  }

  // ---- services ---------------------------------------------------------------------------------------------------
  function renderServices(instances) {
    const rows = instances.map((i) => el("tr", { class: i.silent ? "silent" : "", "data-instance": i.instanceId },
      el("td", {}, i.host, el("div", { class: "hint" }, "pid " + i.processId + " · since " + time(i.startedAt))),
      el("td", {}, i.services.split(",").join(", ")),
      el("td", {}, i.version),
      el("td", {}, i.silent ? el("span", { class: "badge bad" }, "silent " + age(i.silentForSeconds)) : el("span", { class: "badge ok" }, age(i.silentForSeconds) + " ago"))));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "4", class: "hint" }, "no heartbeat yet")));
    replaceRows(document.querySelector("#services tbody"), rows);
  }

  // ---- data quality, critical time, agencies ----------------------------------------------------------------------
  const pct = (v) => v === null || v === undefined ? "–" : Math.round(v * 100) + " %";
  const pair = (a, b) => age(a) + " / " + age(b);

  async function refreshQuality() {
    lastQuality = Date.now();
    const kind = $("period-kind").value;
    const date = $("period-date").value;
    try {
      const r = await call("/quality?period=" + encodeURIComponent(kind) + (date ? "&date=" + encodeURIComponent(date) : ""));
      renderQuality(r);
    } catch (e) {
      if (!failed(e)) $("quality-summary").textContent = "could not read the figures: " + e.message;
    }
  }

  function renderQuality(report) {
    const p = report.period;
    const flagged = report.agencies.filter((a) => a.concentration || a.volumeWithoutEffect).length;
    $("quality-summary").textContent = "From " + p.firstDay + " to " + p.lastDay + " (China Standard Time): " + report.agencies.length +
      " agenc" + (report.agencies.length === 1 ? "y" : "ies") + " sent records" + (flagged ? ", " + flagged + " flagged." : ".");
    const rows = report.agencies.map((a) => el("tr", { class: a.concentration || a.volumeWithoutEffect ? "flagged" : "", "data-agency": a.agencyCode || "" },
      el("td", {}, a.agencyCode || "(no verified publisher)", a.province ? el("div", { class: "hint" }, "province " + a.province) : null),
      el("td", { class: "n", "data-field": "received" }, num(a.received), el("div", { class: "hint" }, "before " + num(a.previousReceived))),
      el("td", { class: "n" }, num(a.accepted)),
      el("td", { class: "n" }, num(a.duplicates)),
      el("td", {}, num(a.rejected), Object.entries(a.rejectedByReason).map(([code, n]) => el("div", { class: "hint" }, code + " " + num(n)))),
      el("td", { class: "n" }, num(a.subjects)),
      el("td", { class: "n", "data-field": "effective" }, num(a.effectiveListings), el("div", { class: "hint" }, "before " + num(a.previousListings))),
      el("td", { class: "n" }, pct(a.regionShare)),
      el("td", { class: "n" }, pair(a.decisionToArrivalP50Seconds, a.decisionToArrivalP95Seconds)),
      el("td", {},
        a.concentration ? el("span", { class: "badge bad", "data-flag": "concentration", title: "sends most of its province's records" }, "concentration") : null,
        a.volumeWithoutEffect ? el("span", { class: "badge bad", "data-flag": "volume-without-effect", title: "volume grew, listings that took effect did not" }, "volume without effect") : null)));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "10", class: "hint" }, "no records in this period")));
    replaceRows(document.querySelector("#quality tbody"), rows);
    const critical = report.criticalTimes.map((c) => el("tr", { "data-agency": c.agencyCode || "" },
      el("td", {}, c.agencyCode || "(no verified publisher)"),
      el("td", { class: "n" }, num(c.applied)),
      el("td", { class: "n" }, pair(c.decisionToAppliedP50Seconds, c.decisionToAppliedP95Seconds)),
      el("td", { class: "n" }, num(c.relayed)),
      el("td", { class: "n" }, pair(c.appliedToRelayedP50Seconds, c.appliedToRelayedP95Seconds))));
    if (critical.length === 0) critical.push(el("tr", {}, el("td", { colspan: "5", class: "hint" }, "nothing applied in this period")));
    replaceRows(document.querySelector("#critical tbody"), critical);
  }

  function renderAgencies(agencies) {
    const rows = agencies.map((a) => el("tr", { class: a.silent ? "silent" : "", "data-agency": a.agencyCode },
      el("td", {}, a.agencyCode, a.province ? el("div", { class: "hint" }, "province " + a.province) : null),
      el("td", {}, a.lastArrivalAt ? time(a.lastArrivalAt) : "never"),
      el("td", { class: "n" }, age(a.medianGapSeconds)),
      el("td", {}, a.silent
        ? el("span", { class: "badge bad" }, "silent " + age(a.silentForSeconds))
        : a.judged ? el("span", { class: "badge ok" }, "on rhythm") : el("span", { class: "badge" }, "no rhythm yet"))));
    if (rows.length === 0) rows.push(el("tr", {}, el("td", { colspan: "4", class: "hint" }, "no agencies")));
    replaceRows(document.querySelector("#agencies tbody"), rows);
  }

  // ---- wiring -----------------------------------------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const key = $("api-key").value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY, key);
      $("api-key").value = "";
      start();
    });
    $("sign-out").addEventListener("click", () => { sessionStorage.removeItem(KEY); showSignIn(null); });
    $("replay-all").addEventListener("click", () => act("/failed/replay-all", null, "Replayed"));
    $("quality-period").addEventListener("change", () => refreshQuality());
    $("quality-period").addEventListener("submit", (ev) => { ev.preventDefault(); refreshQuality(); });
    if (sessionStorage.getItem(KEY)) start(); else showSignIn(null);
  });
})();
