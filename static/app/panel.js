/* Clearance's issue panel. Talks to the panel API with a context token from AP.context.getToken() on every call
   (no cookies: third-party cookies are blocked in iframes). Everything from the server is put into the page as text
   (textContent), never as HTML. The server checks every command again; the buttons shown are what it says is allowed. */
(function () {
  "use strict";

  var root = document.getElementById("clearance-panel");
  if (!root) { return; }
  var issueId = root.getAttribute("data-issue-id");
  var view = { data: null, error: null, notice: null, secret: null, busy: false, timer: null, loadedAt: 0 };

  var STATES = {
    "new": ["New", "new"], "in_review": ["In review", "moved"],
    "awaiting_privacy_approval": ["Awaiting approval", "current"], "approved": ["Approved", "success"],
    "extracting": ["Extracting", "moved"], "awaiting_delivery": ["Awaiting delivery", "current"],
    "delivered": ["Delivered", "success"], "expired": ["Expired", ""], "rejected": ["Rejected", "removed"],
    "failed": ["Failed", "removed"], "cancelled": ["Cancelled", ""]
  };
  var ACTIONS = {
    "request.created": "Request created", "request.claimed": "Claimed for review", "request.plan_saved": "Plan saved",
    "request.dry_run": "Dry run", "request.submitted": "Submitted for privacy approval",
    "request.approved": "Approved", "request.rejected": "Rejected", "request.reopened": "Reopened",
    "request.extraction_started": "Extraction started", "request.extracted": "Bundle built",
    "request.uploaded": "Attached to the issue", "request.awaiting_delivery": "Waiting to send the password",
    "request.delivered": "Delivered", "request.failed": "Failed", "request.expired": "File removed",
    "request.cancelled": "Cancelled", "request.restored": "Restored", "secret.revealed": "Password revealed",
    "request.retention_set": "Retention changed", "delivery.reminded": "Expiry reminder sent"
  };

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; }
      else if (k === "onclick") { e.addEventListener("click", attrs[k]); }
      else if (attrs[k] !== null && attrs[k] !== undefined) { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) { return; }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function token() {
    return new Promise(function (resolve, reject) {
      var tries = 0;
      (function ask() {
        if (window.AP && AP.context && AP.context.getToken) { AP.context.getToken(resolve); return; }
        if (++tries > 100) { reject(new Error("Jira's page script did not load")); return; }
        setTimeout(ask, 100);
      })();
    });
  }

  function api(method, path, body) {
    return token().then(function (t) {
      var init = { method: method, headers: { "Authorization": "JWT " + t } };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch("api/panel/requests/" + encodeURIComponent(issueId) + path, init);
    }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return { status: r.status, body: json, text: text };
      });
    });
  }

  function problem(res) {
    if (res.body && res.body.error) { return res.body.error; }
    if (res.status === 401) { return "Your Jira session could not be confirmed; reload the issue."; }
    return "Clearance could not do that (HTTP " + res.status + ").";
  }

  function when(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString();
  }

  function resize() { if (window.AP && AP.resize) { AP.resize(); } }

  function load() {
    clearTimeout(view.timer);
    return api("GET", "").then(function (res) {
      if (res.status === 404) { view.data = null; view.error = null; render(); root.setAttribute("data-state", "none"); return; }
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.data = res.body;
      view.loadedAt = Date.now();
      render();
      var r = res.body.request, d = res.body.delivery;
      var working = r.state === "extracting" || (d && (d.state === "building" || d.state === "built"));
      if (working || r.state === "awaiting_delivery") { view.timer = setTimeout(load, working ? 2000 : 10000); }
    }).catch(function (e) { view.error = "Clearance could not load: " + e.message; render(); });
  }

  function command(body, done) {
    if (view.busy) { return; }
    view.busy = true; view.error = null; view.notice = null; render();
    api("POST", "/commands", body).then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.notice = done || null;
      return load();
    }).catch(function (e) { view.busy = false; view.error = e.message; render(); });
  }

  function reveal() {
    view.busy = true; render();
    api("POST", "/reveal").then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.secret = res.body.secret;
      return load();
    }).catch(function (e) { view.busy = false; view.error = e.message; render(); });
  }

  function nextStep(r, you) {
    var roles = you.roles || {};
    switch (r.state) {
      case "new": return roles.analyst ? "Claim this request to review it." : "Waiting for an analyst to pick it up.";
      case "in_review": return roles.analyst ? "Write and dry-run the extraction plan, then submit it." : "An analyst is reviewing the request.";
      case "awaiting_privacy_approval": return roles.privacy ? "Review the plan and its personal-data findings, then approve or reject." : "Waiting for the privacy officer's approval.";
      case "approved": return roles.analyst ? "Start the extraction." : "Approved; the extraction starts soon.";
      case "extracting": return "The data is being extracted and encrypted.";
      case "awaiting_delivery": return "The file is attached; its password could not be sent to everyone yet" + (r.reason ? ": " + r.reason : ".");
      case "delivered": return you.requester ? "Download the file from the attachments and open it with the password sent to you by Slack." : "Delivered to the requester.";
      case "expired": return "The file was removed from the issue.";
      case "rejected": return "Rejected" + (r.reason ? ": " + r.reason : ".");
      case "failed": return "Failed" + (r.reason ? ": " + r.reason : ".");
      case "cancelled": return "Cancelled" + (r.reason ? ": " + r.reason : ".");
      default: return "";
    }
  }

  function section(title, children) {
    return el("section", { "aria-label": title }, [el("h2", { text: title })].concat(children));
  }

  function planSection(r) {
    var p = r.plan;
    if (!p) { return null; }
    var masks = Object.keys(p.masking || {}).map(function (c) { return c + ": " + p.masking[c]; });
    var rows = [
      el("dt", { text: "Source" }), el("dd", { text: p.source }),
      el("dt", { text: "Format" }), el("dd", { text: (p.format || "").toUpperCase() + ", " + (p.encryption || "") }),
      el("dt", { text: "Masking" }), el("dd", { text: masks.length ? masks.join(", ") : "none" }),
      el("dt", { text: "Caps" }), el("dd", { text: Number(p.max_rows).toLocaleString() + " rows, " + Number(p.max_bytes).toLocaleString() + " bytes" })
    ];
    if (p.id_list) { rows.push(el("dt", { text: "ID list" }), el("dd", { text: p.id_list.file_name + " (" + p.id_list.column + ")" })); }
    return section("Extraction plan", [el("dl", {}, rows), el("pre", { "class": "sql", text: p.sql })]);
  }

  function scanSection(r) {
    var s = r.scan;
    if (!s || !s.findings || !s.findings.length) { return null; }
    var body = s.findings.map(function (f) {
      var cats = (f.categories || []).map(function (c) { return c.category || c; }).join(", ");
      return el("tr", {}, [el("td", { text: f.column }), el("td", { text: cats + (f.blocking ? " (decision needed)" : "") })]);
    });
    return section("Personal data found by the dry run", [el("table", {}, [
      el("thead", {}, [el("tr", {}, [el("th", { text: "Column" }), el("th", { text: "Categories" })])]),
      el("tbody", {}, body)
    ])]);
  }

  function deliverySection(d) {
    if (!d) { return null; }
    var items = [el("dt", { text: "File" }), el("dd", { text: d.file }), el("dt", { text: "Stage" }), el("dd", { text: d.state })];
    if (d.state === "building") {
      var started = new Date(d.createdAt).getTime();
      var secs = Math.max(1, Math.round((Date.now() - started) / 1000));
      var rows = d.progress ? d.progress.rows : 0;
      items.push(el("dt", { text: "Progress" }), el("dd", { "class": "progress-text", text: rows.toLocaleString() + " rows, " + Math.round(rows / secs).toLocaleString() + " rows/s, " + secs + " s" }));
    }
    if (d.rows !== null && d.rows !== undefined) { items.push(el("dt", { text: "Rows" }), el("dd", { text: String(d.rows) })); }
    if (d.bundleSha256) { items.push(el("dt", { text: "SHA-256" }), el("dd", {}, [el("code", { text: d.bundleSha256 })])); }
    if (d.expiresAt) { items.push(el("dt", { text: "Removed on" }), el("dd", { text: when(d.expiresAt) })); }
    if (d.error) { items.push(el("dt", { text: "Problem" }), el("dd", { text: d.error })); }
    var out = [el("dl", {}, items)];
    if (d.state === "building") { out.push(el("div", { "class": "progress", role: "progressbar", "aria-label": "Extracting" }, [el("span")])); }
    return section("Delivered file", out);
  }

  function actions(data) {
    var r = data.request, allowed = data.allowed || [], out = [];
    function button(label, cls, onclick) {
      return el("button", { type: "button", "class": cls, onclick: onclick, text: label });
    }
    var mine = data.you && r.reviewer === data.you.accountId;
    if (allowed.indexOf("claim") >= 0 && !mine) { out.push(button("Claim", "primary", function () { command({ command: "claim" }); })); }
    if (allowed.indexOf("submit") >= 0 && r.plan) {
      out.push(button("Submit: contains personal data", "primary", function () { command({ command: "submit", personal_data: true }); }));
      out.push(button("Submit: no personal data", "", function () { command({ command: "submit", personal_data: false }); }));
    }
    if (allowed.indexOf("approve") >= 0 && r.planDigest) {
      out.push(button("Approve this plan", "primary", function () { command({ command: "approve", digest: r.planDigest }, "Approved."); }));
    }
    if (allowed.indexOf("extract") >= 0) { out.push(button("Extract", "primary", function () { command({ command: "extract" }); })); }
    if (allowed.indexOf("reopen") >= 0) { out.push(button("Reopen", "", function () { command({ command: "reopen" }); })); }
    if (allowed.indexOf("reject") >= 0) {
      var input = el("input", { type: "text", id: "reject-reason", "aria-label": "Reason for rejecting", placeholder: "Reason for rejecting" });
      out.push(el("span", {}, [input]));
      out.push(button("Reject", "danger", function () {
        var reason = input.value.trim();
        if (!reason) { view.error = "Say why you reject it: the requester sees the reason."; render(); return; }
        command({ command: "reject", reason: reason });
      }));
    }
    if (data.delivery && data.delivery.canReveal) { out.push(button("Reveal the password", "primary", reveal)); }
    for (var i = 0; i < out.length; i++) { if (view.busy) { out[i].disabled = true; } }
    return out.length ? el("div", { "class": "actions" }, out) : null;
  }

  function timeline(data) {
    var items = (data.audit || []).map(function (e) {
      var what = ACTIONS[e.action] || e.action;
      return el("li", {}, [el("span", { text: what }), " ", el("span", { "class": "muted", text: "by " + e.actor + ", " + when(e.at) })]);
    });
    return items.length ? section("Timeline", [el("ol", { "class": "timeline" }, items)]) : null;
  }

  function render() {
    while (root.firstChild) { root.removeChild(root.firstChild); }
    var data = view.data;
    if (!data) {
      root.appendChild(el("h1", {}, ["Clearance"]));
      if (view.error) { root.appendChild(el("div", { "class": "error", role: "alert", text: view.error })); }
      else { root.appendChild(el("p", { "class": "muted", text: "This issue is not a data request. Add the data-request label to make it one." })); }
      resize();
      return;
    }
    var r = data.request, s = STATES[r.state] || [r.state, ""];
    root.setAttribute("data-state", r.state);
    root.appendChild(el("h1", {}, ["Clearance", el("span", { "class": "lozenge " + s[1], id: "state", text: s[0] })]));
    if (view.error) { root.appendChild(el("div", { "class": "error", role: "alert", text: view.error })); }
    if (view.notice) { root.appendChild(el("div", { "class": "notice", role: "status", text: view.notice })); }
    root.appendChild(el("p", { "class": "next", id: "next-step", text: nextStep(r, data.you || {}) }));
    if (view.secret) {
      root.appendChild(section("Your password", [
        el("span", { "class": "secret", id: "secret", "aria-label": "password", text: view.secret }),
        el("p", { "class": "muted", text: "Shown once: keep it somewhere safe until you have opened the file." })
      ]));
    }
    var a = actions(data);
    if (a) { root.appendChild(a); }
    root.appendChild(section("Request", [el("dl", {}, [
      el("dt", { text: "Summary" }), el("dd", { id: "summary", text: r.summary }),
      el("dt", { text: "Requester" }), el("dd", { text: r.requester || "unknown" }),
      el("dt", { text: "Reviewer" }), el("dd", { text: r.reviewer || "nobody yet" })
    ])]));
    [planSection(r), scanSection(r), deliverySection(data.delivery), timeline(data)].forEach(function (x) { if (x) { root.appendChild(x); } });
    if (r.approvedBy) {
      root.appendChild(el("p", { "class": "muted", text: "Approved by " + r.approvedBy + " on " + when(r.approvedAt) + " (plan " + (r.approvedDigest || "").slice(0, 12) + "…); any change to the plan voids it." }));
    }
    resize();
  }

  load();
})();
