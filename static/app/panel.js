/* Clearance's issue panel. Talks to the panel API with a context token from AP.context.getToken() on every call
   (no cookies: third-party cookies are blocked in iframes). Everything from the server is put into the page as text
   (textContent), never as HTML. The server checks every command again; the buttons shown are what it says is allowed. */
(function () {
  "use strict";

  var root = document.getElementById("clearance-panel");
  if (!root) { return; }
  var issueId = root.getAttribute("data-issue-id");
  var view = { data: null, error: null, notice: null, secret: null, busy: false, timer: null, loadedAt: 0,
    draft: null, sources: null, recipes: null, dry: null, editing: false, idFile: null, officer: null };
  var MASKINGS = ["keep", "mask", "pseudonymise", "drop"];

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

  var el = Clearance.el;

  function api(method, path, body) {
    return Clearance.call(method, "api/panel/requests/" + encodeURIComponent(issueId) + path, body);
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

  /* A person's display name (from Jira, through the panel API), or their account id. */
  function who(id) {
    var people = (view.data && view.data.people) || {};
    return id ? (people[id] || id) : "";
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
      if (working || res.body.waiting || r.state === "awaiting_delivery") { view.timer = setTimeout(load, working ? 2000 : 10000); }
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
      return el("li", {}, [el("span", { text: what }), " ", el("span", { "class": "muted", text: "by " + who(e.actor) + ", " + when(e.at) })]);
    });
    return items.length ? section("Timeline", [el("ol", { "class": "timeline" }, items)]) : null;
  }

  /* The issue's description as written (purpose, fields wanted): long ones folded after a few lines. */
  function description(text) {
    text = (text || "").trim();
    if (!text) { return el("span", { "class": "muted", text: "The issue has no description." }); }
    var box = el("div", { id: "description", "class": "description" + (view.wholeDescription ? "" : " folded"), text: text });
    if (text.length <= 300 && text.split("\n").length <= 5) { box.className = "description"; return box; }
    var toggle = el("button", { type: "button", "class": "link", "aria-expanded": view.wholeDescription ? "true" : "false",
      text: view.wholeDescription ? "Show less" : "Show all", onclick: function () {
        view.wholeDescription = !view.wholeDescription; render();
      } });
    return el("div", {}, [box, toggle]);
  }

  /* ---- the plan editor (analysts) ---- */

  function draftFrom(r) {
    var p = r.plan || {};
    return {
      fresh: !r.plan, recipe: "",
      source: p.source || "", sql: p.sql || "", format: p.format || "csv", encryption: p.encryption || "age",
      max_rows: p.max_rows || 1000000, max_bytes: p.max_bytes || 268435456,
      masking: Object.assign({}, p.masking || {}), id_list: p.id_list || null, recipients: p.recipients || [],
      neutralise_formulas: p.neutralise_formulas !== false
    };
  }

  function loadSources() {
    if (view.sources) { return; }
    view.sources = [];
    api("GET", "/sources").then(function (res) {
      if (res.status === 200) {
        view.sources = res.body.sources;
        view.recipes = res.body.recipes || [];
        var d = view.draft, defaults = res.body.defaults;
        // A first plan starts with the site's defaults.
        if (d && d.fresh && defaults) { d.format = defaults.format; d.encryption = defaults.encryption; }
      } else { view.error = problem(res); }
      if (view.draft && !view.draft.source && view.sources.length) { view.draft.source = view.sources[0].name; }
      render();
    });
  }

  function planBody(d) {
    var plan = { source: d.source, sql: d.sql, format: d.format, encryption: d.encryption,
      max_rows: Number(d.max_rows), max_bytes: Number(d.max_bytes), masking: {}, recipients: d.recipients,
      neutralise_formulas: d.neutralise_formulas !== false };
    Object.keys(d.masking).forEach(function (c) { if (d.masking[c] !== "keep") { plan.masking[c] = d.masking[c]; } });
    if (d.id_list) { plan.id_list = d.id_list; }
    return plan;
  }

  function saveAndDryRun() {
    if (view.busy) { return; }
    view.busy = true; view.error = null; view.notice = null; render();
    api("POST", "/commands", { command: "save_plan", plan: planBody(view.draft) }).then(function (res) {
      if (res.status !== 200) { throw new Error(problem(res)); }
      return api("POST", "/dry-run");
    }).then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.dry = null; view.error = problem(res); return load(); }
      view.dry = res.body;
      view.notice = "Plan saved; dry run of " + res.body.sampled + " rows" + (res.body.more ? " (the result has more)" : "") + ".";
      return load();
    }).catch(function (e) { view.busy = false; view.error = e.message; load(); });
  }

  function field(label, id, input) {
    input.id = id;
    return el("div", {}, [el("label", { "for": id, text: label }), input]);
  }

  function select(options, value, onchange) {
    var sel = el("select", {}, options.map(function (o) {
      var opt = el("option", { value: o[0], text: o[1] });
      if (o[0] === value) { opt.selected = true; }
      return opt;
    }));
    sel.addEventListener("change", function () { onchange(sel.value); });
    return sel;
  }

  /* Start from a recipe: its SQL (and data source, when it names one) replace the draft's. */
  function recipePicker(d) {
    var recipes = view.recipes || [];
    if (!recipes.length) { return null; }
    var options = [["", "Choose a recipe…"]].concat(recipes.map(function (x) {
      return [x.name, x.name + (x.description ? " — " + x.description : "")];
    }));
    var sel = select(options, d.recipe, function (v) { d.recipe = v; });
    var use = el("button", { type: "button", text: "Use recipe", onclick: function () {
      var chosen = recipes.filter(function (x) { return x.name === d.recipe; })[0];
      if (!chosen) { return; }
      d.sql = chosen.sql;
      if (chosen.source) { d.source = chosen.source; }
      view.notice = "SQL replaced with the recipe " + chosen.name + "; review it, then save and dry run.";
      render();
    } });
    return el("div", { "class": "recipe" }, [field("Start from a recipe", "plan-recipe", sel), el("div", { "class": "actions" }, [use])]);
  }

  function sqlEditor(d) {
    var gutter = el("pre", { "class": "gutter", "aria-hidden": "true" });
    var area = el("textarea", { id: "sql", spellcheck: "false", rows: "8", "aria-label": "SQL query", wrap: "off" });
    area.value = d.sql;
    function numbers() {
      var n = area.value.split("\n").length, out = [];
      for (var i = 1; i <= n; i++) { out.push(String(i)); }
      gutter.textContent = out.join("\n");
      gutter.scrollTop = area.scrollTop;
    }
    area.addEventListener("input", function () { d.sql = area.value; numbers(); });
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    numbers();
    return el("div", {}, [el("label", { "for": "sql", text: "SQL (read-only; one SELECT)" }), el("div", { "class": "editor" }, [gutter, area])]);
  }

  function maskingTable(d, scan) {
    var names = [], findings = view.dry ? view.dry.findings : ((scan && scan.findings) || []);
    function add(n) { if (n && names.indexOf(n) < 0) { names.push(n); } }
    (view.dry ? view.dry.columns : []).forEach(function (c) { add(c.name); });
    findings.forEach(function (f) { add(f.column); });
    Object.keys(d.masking).forEach(add);
    if (!names.length) { return el("p", { "class": "muted", text: "Run a dry run to choose masking per column." }); }
    var flagged = {};
    findings.forEach(function (f) { flagged[f.column] = (f.categories || []).map(function (c) { return c.category; }).join(", ") + (f.blocking ? " (decision needed)" : ""); });
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, [el("th", { text: "Column" }), el("th", { text: "Personal data" }), el("th", { text: "Masking" })])]),
      el("tbody", {}, names.map(function (n) {
        var sel = select(MASKINGS.map(function (m) { return [m, m]; }), d.masking[n] || "keep", function (v) { d.masking[n] = v; });
        sel.setAttribute("aria-label", "Masking of " + n);
        sel.setAttribute("data-column", n);
        return el("tr", {}, [el("td", { text: n }), el("td", { text: flagged[n] || "" }), el("td", {}, [sel])]);
      }))
    ]);
  }

  function dryRunResult() {
    var dry = view.dry;
    if (!dry) { return null; }
    var head = el("tr", {}, dry.columns.map(function (c) {
      var how = c.masked_in_preview ? " (shown masked: personal data)" : (c.masking && c.masking !== "keep" ? " (" + c.masking + ")" : "");
      return el("th", { text: c.name + how });
    }));
    var body = dry.rows.map(function (r) { return el("tr", {}, r.map(function (v) { return el("td", { text: v === null ? "NULL" : String(v) }); })); });
    return section("Dry run: first rows, as they would be delivered", [
      el("div", { "class": "scroll" }, [el("table", { id: "dry-run-rows" }, [el("thead", {}, [head]), el("tbody", {}, body)])])
    ]);
  }

  function idListEditor(r, d) {
    var files = (r.attachments || []).filter(function (a) { return /\.(csv|xlsx)$/i.test(a.filename || ""); });
    if (!files.length) { return el("p", { "class": "muted", text: "Attach a CSV or XLSX file to the issue to drive the query by a list of IDs." }); }
    var choices = [["", "No ID list"]].concat(files.map(function (a) { return [String(a.id), a.filename]; }));
    var current = d.id_list ? String(d.id_list.attachment_id) : "";
    var out = [field("ID list (from an attached file)", "plan-id-file", select(choices, current, function (v) {
      if (!v) { d.id_list = null; view.idFile = null; render(); return; }
      view.busy = true; render();
      api("GET", "/id-files/" + encodeURIComponent(v)).then(function (res) {
        view.busy = false;
        if (res.status !== 200) { view.error = problem(res); d.id_list = null; render(); return; }
        var f = res.body.idFile;
        view.idFile = f;
        d.id_list = { attachment_id: f.attachment_id, file_name: f.file_name, sha256: f.sha256,
          column: f.columns[0] || "", parameter: (d.id_list && d.id_list.parameter) || "ids" };
        render();
      });
    }))];
    if (d.id_list) {
      var cols = (view.idFile && view.idFile.attachment_id === String(d.id_list.attachment_id)) ? view.idFile.columns : [d.id_list.column];
      out.push(field("ID column", "plan-id-column", select(cols.map(function (c) { return [c, c]; }), d.id_list.column, function (v) { d.id_list.column = v; })));
      var param = el("input", { type: "text" }); param.value = d.id_list.parameter;
      param.addEventListener("input", function () { d.id_list.parameter = param.value.trim(); });
      out.push(field("Query parameter", "plan-id-param", param));
      out.push(el("p", { "class": "muted", id: "id-list-hint", text: "Use it in the SQL as: WHERE id IN (:" + d.id_list.parameter + ")" }));
    }
    return el("div", { "class": "grid" }, out);
  }

  /* ---- the privacy officer's review: masking per column, approve or reject ---- */

  function dryRunOnly() {
    view.busy = true; view.error = null; render();
    api("POST", "/dry-run").then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.dry = res.body;
      render();
    }).catch(function (e) { view.busy = false; view.error = e.message; render(); });
  }

  function officerReview(data) {
    var r = data.request, allowed = data.allowed || [];
    if (allowed.indexOf("approve") < 0 || !r.plan) { return null; }
    if (!view.officer || view.officer.digest !== r.planDigest) {
      view.officer = { digest: r.planDigest, masking: Object.assign({}, r.plan.masking || {}) };
    }
    var o = view.officer;
    var approve = el("button", { type: "button", "class": "primary", text: "Approve with this masking", onclick: function () {
      command({ command: "approve", digest: r.planDigest, masking: o.masking }, "Approved.");
    } });
    var dry = el("button", { type: "button", text: "Dry run (sample rows)", onclick: dryRunOnly });
    if (view.busy) { approve.disabled = true; dry.disabled = true; }
    return section("Your review: masking per column", [
      el("p", { "class": "muted", text: "You approve exactly this plan with the masking below; a change you make here is recorded with your approval, and any later change to the plan voids it." }),
      maskingTable(o, r.scan),
      el("div", { "class": "actions" }, [approve, dry])
    ]);
  }

  function editor(data) {
    var r = data.request, allowed = data.allowed || [];
    if (allowed.indexOf("save_plan") < 0) { return null; }
    if (r.state !== "in_review" && !view.editing) {
      return el("div", { "class": "actions" }, [el("button", { type: "button", text: "Change the plan (voids any approval)",
        onclick: function () { view.editing = true; render(); } })]);
    }
    if (!view.draft) { view.draft = draftFrom(r); }
    loadSources();
    var d = view.draft;
    var sources = (view.sources || []).map(function (x) { return [x.name, x.name + " (" + x.kind + ", " + x.environment + ")"]; });
    if (d.source && !sources.some(function (o) { return o[0] === d.source; })) { sources.unshift([d.source, d.source]); }
    var rows = el("input", { type: "text", inputmode: "numeric" }); rows.value = d.max_rows;
    rows.addEventListener("input", function () { d.max_rows = rows.value; });
    var bytes = el("input", { type: "text", inputmode: "numeric" }); bytes.value = d.max_bytes;
    bytes.addEventListener("input", function () { d.max_bytes = bytes.value; });
    var save = el("button", { type: "button", "class": "primary", text: "Save and dry run", onclick: saveAndDryRun });
    if (view.busy) { save.disabled = true; }
    var formulas = el("input", { type: "checkbox", id: "plan-formulas" });
    formulas.checked = d.neutralise_formulas !== false;
    formulas.addEventListener("change", function () { d.neutralise_formulas = formulas.checked; });
    return section("Extraction plan (editing)", [
      el("div", { "class": "grid" }, [
        field("Data source", "plan-source", select(sources, d.source, function (v) { d.source = v; })),
        field("Format", "plan-format", select([["csv", "CSV"], ["xlsx", "Excel (XLSX)"]], d.format, function (v) { d.format = v; })),
        field("Encryption", "plan-encryption", select([["age", "age, with a password"], ["zip_aes", "AES-256 zip (7-Zip)"], ["age_recipients", "age, to people's own keys"]], d.encryption, function (v) { d.encryption = v; })),
        field("Row cap", "plan-rows", rows),
        field("Byte cap", "plan-bytes", bytes)
      ]),
      d.format === "csv" ? el("label", { "for": "plan-formulas" }, [formulas, " CSV: text that a spreadsheet would run as a formula (=, +, -, @ first) gets a leading ' (recommended)"]) : null,
      idListEditor(r, d),
      recipePicker(d),
      sqlEditor(d),
      el("h2", { text: "Masking per column" }),
      maskingTable(d, r.scan),
      el("div", { "class": "actions" }, [save])
    ]);
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
    if (data.waiting) {
      root.appendChild(el("p", { "class": "notice", id: "waiting", role: "status",
        text: data.waiting.message + " Next try: " + when(data.waiting.nextTry) + "." }));
    }
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
      el("dt", { text: "Purpose and fields" }), el("dd", {}, [description(r.description)]),
      el("dt", { text: "Requester" }), el("dd", { id: "requester", text: who(r.requester) || "unknown" }),
      el("dt", { text: "Reviewer" }), el("dd", { text: who(r.reviewer) || "nobody yet" })
    ])]));
    var ed = editor(data);
    var editing = ed && ed.tagName === "SECTION";
    var review = officerReview(data);
    [ed, editing ? null : planSection(r), review, (editing || review) ? dryRunResult() : null,
      review ? null : scanSection(r), deliverySection(data.delivery), timeline(data)]
      .forEach(function (x) { if (x) { root.appendChild(x); } });
    if (r.approvedBy) {
      var by = r.approvedBy === "clearance" ? "Clearance's personal-data scan (it found none; every delivered value is scanned again)" : who(r.approvedBy);
      root.appendChild(el("p", { "class": "muted", text: "Approved by " + by + " on " + when(r.approvedAt) + " (plan " + (r.approvedDigest || "").slice(0, 12) + "…); any change to the plan voids it." }));
    }
    resize();
  }

  load();
})();
