/* Clearance's admin page (Jira's app administration): the site's data sources (list, add or change — the connection
   URL is write-only — and test), who holds which role (Jira groups) and separation of duty, the trigger label and
   projects, what new plans start with, recipes (saved SQL templates), Slack (bot token write-only, notice channel,
   test notice), retention rules, the registered age keys, the audit log, and the dead jobs with a re-run. Calls the admin API through
   Clearance.call (a Connect context token, or Forge's invokeRemote); the server checks the admin role on every call.
   Everything shown is text. */
(function () {
  "use strict";

  var root = document.getElementById("clearance-admin");
  if (!root) { return; }
  var view = { sources: null, jobs: null, slack: null, retention: null, ageKeys: null, slackUsers: null, slackTest: null,
    error: null, notice: null, tests: {}, busy: false, form: null, slackForm: { botToken: "", channel: null,
    privacyMention: null, secretInDm: null }, retentionForm: null, settings: null, settingsForm: null, recipes: null,
    recipeForm: null };

  var el = Clearance.el;

  function api(method, path, body) {
    return Clearance.call(method, "api/admin" + path, body);
  }

  function problem(res) {
    if (res.body && res.body.error) { return res.body.error; }
    if (res.status === 403) { return "Only Clearance admins can use this page."; }
    return "Clearance could not do that (HTTP " + res.status + ").";
  }

  function load() {
    return Promise.all([api("GET", "/sources"), api("GET", "/jobs?state=dead"), api("GET", "/slack"),
      api("GET", "/retention"), api("GET", "/age-keys"), api("GET", "/slack/users"), api("GET", "/settings"),
      api("GET", "/recipes")]).then(function (all) {
      if (all[0].status !== 200) { view.error = problem(all[0]); render(); return; }
      view.sources = all[0].body.sources;
      view.jobs = all[1].status === 200 ? all[1].body.jobs : [];
      view.slack = all[2].status === 200 ? all[2].body.slack : null;
      view.retention = all[3].status === 200 ? all[3].body.retention : null;
      view.ageKeys = all[4].status === 200 ? all[4].body.ageKeys : [];
      view.slackUsers = all[5].status === 200 ? all[5].body.users : [];
      if (view.retention) { view.retentionForm = Object.assign({}, view.retention); }
      view.settings = all[6].status === 200 ? all[6].body.settings : null;
      if (view.settings) { view.settingsForm = settingsForm(view.settings); }
      view.recipes = all[7].status === 200 ? all[7].body.recipes : [];
      render();
    }).catch(function (e) { view.error = e.message; render(); });
  }

  function put(path, body, done) {
    view.busy = true; view.error = null; view.notice = null; render();
    api("PUT", path, body).then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.notice = done;
      return load();
    }).catch(function (e) { view.busy = false; view.error = e.message; render(); });
  }

  /* ---- who holds which role, the trigger, plan defaults ---- */

  function settingsForm(s) {
    return { analystGroups: s.analystGroups.join(", "), privacyGroups: s.privacyGroups.join(", "),
      adminGroups: s.adminGroups.join(", "), separationOfDuty: s.separationOfDuty, triggerLabel: s.triggerLabel,
      triggerProjects: s.triggerProjects.join(", "), defaultFormat: s.defaultFormat, defaultEncryption: s.defaultEncryption,
      dryRunShowsPersonalData: s.dryRunShowsPersonalData };
  }

  function list(text) {
    return text.split(",").map(function (x) { return x.trim(); }).filter(Boolean);
  }

  function textField(f, key, id, label, hint) {
    var i = el("input", { type: "text", id: id, "aria-describedby": hint ? id + "-hint" : null });
    i.value = f[key];
    i.addEventListener("input", function () { f[key] = i.value; });
    return el("div", {}, [el("label", { "for": id, text: label }), i, hint ? el("div", { "class": "muted", id: id + "-hint", text: hint }) : null]);
  }

  function selectField(f, key, id, label, options) {
    var s = el("select", { id: id }, options.map(function (o) {
      var opt = el("option", { value: o[0], text: o[1] }); if (o[0] === f[key]) { opt.selected = true; } return opt;
    }));
    s.addEventListener("change", function () { f[key] = s.value; });
    return el("div", {}, [el("label", { "for": id, text: label }), s]);
  }

  function accessSection() {
    var f = view.settingsForm;
    if (!f) { return null; }
    var sod = el("input", { type: "checkbox", id: "settings-sod" });
    sod.checked = !!f.separationOfDuty;
    sod.addEventListener("change", function () { f.separationOfDuty = sod.checked; });
    var dry = el("input", { type: "checkbox", id: "settings-dry-run-pii" });
    dry.checked = !!f.dryRunShowsPersonalData;
    dry.addEventListener("change", function () { f.dryRunShowsPersonalData = dry.checked; });
    var save = el("button", { type: "button", "class": "primary", text: "Save roles and trigger", onclick: function () {
      put("/settings", { analystGroups: list(f.analystGroups), privacyGroups: list(f.privacyGroups),
        adminGroups: list(f.adminGroups), separationOfDuty: !!f.separationOfDuty, triggerLabel: f.triggerLabel.trim(),
        triggerProjects: list(f.triggerProjects), defaultFormat: f.defaultFormat, defaultEncryption: f.defaultEncryption,
        dryRunShowsPersonalData: !!f.dryRunShowsPersonalData },
        "Settings saved.");
    } });
    if (view.busy) { save.disabled = true; }
    return el("section", { "aria-label": "Roles and trigger" }, [
      el("h2", { text: "Roles and trigger" }),
      el("p", { "class": "muted", text: "Jira groups, comma-separated. Members' roles change within a minute." }),
      el("div", { "class": "grid" }, [
        textField(f, "analystGroups", "settings-analysts", "Analyst groups"),
        textField(f, "privacyGroups", "settings-privacy", "Privacy officer groups"),
        textField(f, "adminGroups", "settings-admins", "Admin groups", "Keep one of your own groups.")
      ]),
      el("label", { "for": "settings-sod" }, [sod, " Separation of duty: whoever wrote a plan may not approve it"]),
      el("label", { "for": "settings-dry-run-pii" }, [dry, " Dry runs show personal data (off: columns the scan flags are shown masked)"]),
      el("div", { "class": "grid" }, [
        textField(f, "triggerLabel", "settings-label", "Trigger label", "Issues with this label become data requests."),
        textField(f, "triggerProjects", "settings-projects", "In projects", "Project keys, comma-separated; empty: every project."),
        selectField(f, "defaultFormat", "settings-format", "New plans: format", [["csv", "CSV"], ["xlsx", "Excel (XLSX)"]]),
        selectField(f, "defaultEncryption", "settings-encryption", "New plans: encryption", [["age", "age, with a password"],
          ["zip_aes", "AES-256 zip (7-Zip)"], ["age_recipients", "age, to people's own keys"]])
      ]),
      el("div", { "class": "actions" }, [save])
    ]);
  }

  /* ---- recipes: saved SQL an analyst can start a plan from ---- */

  function recipesSection() {
    var rows = (view.recipes || []).map(function (r) {
      return el("tr", { "data-recipe": r.name }, [el("td", { text: r.name }), el("td", { text: r.description }),
        el("td", { text: r.source || "any" }), el("td", {}, [
          el("button", { type: "button", text: "Change", onclick: function () {
            view.recipeForm = { name: r.name, description: r.description, source: r.source || "", sql: r.sql, existing: true }; render();
          } }), " ",
          el("button", { type: "button", text: "Delete", onclick: function () {
            api("DELETE", "/recipes/" + encodeURIComponent(r.name)).then(function (res) {
              if (res.status !== 200) { view.error = problem(res); render(); return; }
              view.notice = "Recipe deleted."; load();
            });
          } })])]);
    });
    var parts = [el("h2", { text: "Recipes" }),
      el("p", { "class": "muted", text: "Saved SQL analysts can start a plan from; checked as one read-only query when saved." })];
    parts.push(rows.length ? el("table", { id: "recipes" }, [
      el("thead", {}, [el("tr", {}, ["Name", "What it extracts", "Data source", ""].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, rows)]) : el("p", { "class": "muted", text: "No recipes yet." }));
    var f = view.recipeForm;
    if (!f) {
      parts.push(el("div", { "class": "actions" }, [el("button", { type: "button", text: "Add a recipe", onclick: function () {
        view.recipeForm = { name: "", description: "", source: "", sql: "", existing: false }; render();
      } })]));
      return el("section", { "aria-label": "Recipes" }, parts);
    }
    var sources = [["", "Any data source"]].concat((view.sources || []).map(function (s) { return [s.name, s.name]; }));
    var sql = el("textarea", { id: "recipe-sql", rows: "6", spellcheck: "false", "class": "sql" });
    sql.value = f.sql;
    sql.addEventListener("input", function () { f.sql = sql.value; });
    var save = el("button", { type: "button", "class": "primary", text: "Save recipe", onclick: function () {
      var name = f.name.trim();
      view.recipeForm = f;
      view.busy = true; view.error = null; view.notice = null; render();
      api("PUT", "/recipes/" + encodeURIComponent(name), { description: f.description, source: f.source || null, sql: f.sql })
        .then(function (res) {
          view.busy = false;
          if (res.status !== 200) { view.error = problem(res); render(); return; }
          view.recipeForm = null; view.notice = "Recipe " + res.body.recipe.name + " saved."; load();
        });
    } });
    if (view.busy) { save.disabled = true; }
    parts.push(el("div", { "class": "grid" }, [
      f.existing ? null : textField(f, "name", "recipe-name", "Name"),
      textField(f, "description", "recipe-description", "What it extracts"),
      selectField(f, "source", "recipe-source", "Written for", sources)
    ]));
    parts.push(el("label", { "for": "recipe-sql", text: "SQL" }));
    parts.push(sql);
    parts.push(el("div", { "class": "actions" }, [save, el("button", { type: "button", text: "Cancel", onclick: function () {
      view.recipeForm = null; render();
    } })]));
    return el("section", { "aria-label": "Recipes" }, parts);
  }

  function slackSection() {
    var s = view.slack || {}, f = view.slackForm;
    var status = s.tokenSet
      ? "Connected to " + ((s.team && s.team.name) || "a workspace") + (s.tokenProblem ? " — " + s.tokenProblem : "")
      : "Not connected: paste the Slack app's bot token (xoxb-…).";
    var token = el("input", { type: "password", id: "slack-token", autocomplete: "off", placeholder: s.tokenSet ? "(set; paste a new one to replace it)" : "xoxb-…" });
    token.addEventListener("input", function () { f.botToken = token.value.trim(); });
    var channel = el("input", { type: "text", id: "slack-channel", placeholder: "C0123456789" });
    channel.value = f.channel !== null ? f.channel : (s.channel || "");
    channel.addEventListener("input", function () { f.channel = channel.value.trim(); });
    var inDm = el("input", { type: "checkbox", id: "slack-in-dm" });
    inDm.checked = f.secretInDm !== null ? f.secretInDm : !!s.secretInDm;
    inDm.addEventListener("change", function () { f.secretInDm = inDm.checked; });
    var save = el("button", { type: "button", "class": "primary", text: "Save Slack settings", onclick: function () {
      var body = {};
      if (f.botToken) { body.botToken = f.botToken; }
      if (f.channel !== null) { body.channel = f.channel || null; }
      if (f.secretInDm !== null) { body.secretInDm = f.secretInDm; }
      view.slackForm = { botToken: "", channel: null, privacyMention: null, secretInDm: null };
      put("/slack", body, "Slack settings saved.");
    } });
    var test = el("button", { type: "button", text: "Send a test notice", onclick: function () {
      view.slackTest = { pending: true }; render();
      api("POST", "/slack/test").then(function (res) { view.slackTest = res.status === 200 ? res.body : { ok: false, message: problem(res) }; render(); });
    } });
    var t = view.slackTest;
    var testText = !t ? "" : t.pending ? "Sending…" : t.ok ? "Sent to the channel." : "Not sent (" + (t.problem || "error") + "): " + t.message;
    if (view.busy) { save.disabled = true; }
    return el("section", { "aria-label": "Slack" }, [
      el("h2", { text: "Slack" }),
      el("p", { id: "slack-status", text: status }),
      el("div", { "class": "grid" }, [
        el("div", {}, [el("label", { "for": "slack-token", text: "Bot token (never shown again)" }), token]),
        el("div", {}, [el("label", { "for": "slack-channel", text: "Channel for team notices (ID)" }), channel])
      ]),
      el("label", { "for": "slack-in-dm" }, [inDm, " Send the password itself in the DM (instead of a one-time link)"]),
      el("div", { "class": "actions" }, [save, test, el("span", { "class": "muted", id: "slack-test", text: testText })])
    ]);
  }

  function slackUsersSection() {
    var users = view.slackUsers || [];
    var rows = users.map(function (u) {
      return el("tr", {}, [el("td", { text: u.accountId }), el("td", {}, [el("code", { text: u.slackUserId })]),
        el("td", {}, [el("button", { type: "button", text: "Remove", onclick: function () {
          api("DELETE", "/slack/users/" + encodeURIComponent(u.accountId)).then(function (res) {
            if (res.status !== 200) { view.error = problem(res); render(); return; }
            view.notice = "Mapping removed."; load();
          });
        } })])]);
    });
    var account = el("input", { type: "text", id: "map-account", placeholder: "Jira account id" });
    var user = el("input", { type: "text", id: "map-slack-user", placeholder: "U0123456789" });
    var add = el("button", { type: "button", text: "Map", onclick: function () {
      put("/slack/users/" + encodeURIComponent(account.value.trim()), { slackUserId: user.value.trim() }, "Mapped.");
    } });
    return el("section", { "aria-label": "Slack users" }, [
      el("h2", { text: "Jira people → Slack users" }),
      el("p", { "class": "muted", text: "Needed only for people whose e-mail Jira hides or whose Slack e-mail differs." }),
      rows.length ? el("table", { id: "slack-users" }, [
        el("thead", {}, [el("tr", {}, ["Jira account", "Slack user", ""].map(function (h) { return el("th", { text: h }); }))]),
        el("tbody", {}, rows)]) : null,
      el("div", { "class": "grid" }, [
        el("div", {}, [el("label", { "for": "map-account", text: "Jira account id" }), account]),
        el("div", {}, [el("label", { "for": "map-slack-user", text: "Slack user id" }), user])
      ]),
      el("div", { "class": "actions" }, [add])
    ]);
  }

  function auditSection() {
    var verify = el("button", { type: "button", text: "Verify the audit chain", onclick: function () {
      view.audit = "Checking…"; render();
      api("GET", "/audit/verify").then(function (res) {
        view.audit = res.status === 200 ? (res.body.ok ? "Intact: " : "BROKEN: ") + res.body.summary : problem(res);
        render();
      });
    } });
    var exportCsv = el("button", { type: "button", text: "Export the audit log (CSV)", onclick: function () {
      Clearance.download("api/admin/audit/export?format=csv", "clearance-audit.csv")
        .catch(function (e) { view.error = "The export failed: " + e.message; render(); });
    } });
    return el("section", { "aria-label": "Audit" }, [
      el("h2", { text: "Audit log" }),
      el("div", { "class": "actions" }, [verify, exportCsv, el("span", { id: "audit-result", "class": "muted", text: view.audit || "" })])
    ]);
  }

  function retentionSection() {
    var f = view.retentionForm;
    if (!f) { return null; }
    function num(key, label) {
      var i = el("input", { type: "text", inputmode: "numeric", id: "retention-" + key });
      i.value = f[key];
      i.addEventListener("input", function () { f[key] = i.value; });
      return el("div", {}, [el("label", { "for": "retention-" + key, text: label }), i]);
    }
    var close = el("input", { type: "checkbox", id: "retention-close" });
    close.checked = !!f.expireOnClose;
    close.addEventListener("change", function () { f.expireOnClose = close.checked; });
    var save = el("button", { type: "button", "class": "primary", text: "Save retention", onclick: function () {
      put("/retention", { defaultDays: Number(f.defaultDays), minDays: Number(f.minDays), maxDays: Number(f.maxDays),
        expireOnClose: !!f.expireOnClose }, "Retention saved.");
    } });
    if (view.busy) { save.disabled = true; }
    return el("section", { "aria-label": "Retention" }, [
      el("h2", { text: "Retention of delivered files" }),
      el("div", { "class": "grid" }, [num("defaultDays", "Days by default"), num("minDays", "Fewest days a request may ask"), num("maxDays", "Most days a request may ask")]),
      el("label", { "for": "retention-close" }, [close, " Remove the file when its issue is closed"]),
      el("div", { "class": "actions" }, [save])
    ]);
  }

  function ageKeysSection() {
    var keys = view.ageKeys || [];
    var body = keys.length ? el("table", { id: "age-keys" }, [
      el("thead", {}, [el("tr", {}, ["Account", "Public key", ""].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, keys.map(function (k) {
        return el("tr", {}, [el("td", { text: k.accountId }), el("td", {}, [el("code", { text: k.publicKey })]),
          el("td", {}, [el("button", { type: "button", text: "Remove", onclick: function () {
            api("DELETE", "/age-keys/" + encodeURIComponent(k.accountId)).then(function (res) {
              if (res.status !== 200) { view.error = problem(res); render(); return; }
              view.notice = "Key removed."; load();
            });
          } })])]);
      }))
    ]) : el("p", { "class": "muted", text: "Nobody has registered an age key; people add their own from the issue panel." });
    return el("section", { "aria-label": "age keys" }, [el("h2", { text: "age public keys" }), body]);
  }

  function emptyForm() {
    return { name: "", kind: "postgres", url: "", environment: "staging", projects: "", maxRows: "", maxBytes: "", timeout: "", existing: false };
  }

  function formBody(f) {
    var body = { kind: f.kind, environment: f.environment,
      allowedProjects: f.projects.split(",").map(function (p) { return p.trim().toUpperCase(); }).filter(Boolean) };
    if (f.url) { body.url = f.url; }
    if (f.maxRows) { body.maxRows = Number(f.maxRows); }
    if (f.maxBytes) { body.maxBytes = Number(f.maxBytes); }
    if (f.timeout) { body.statementTimeoutSecs = Number(f.timeout); }
    return body;
  }

  function save() {
    var f = view.form;
    view.busy = true; view.error = null; view.notice = null; render();
    api("PUT", "/sources/" + encodeURIComponent(f.name.trim()), formBody(f)).then(function (res) {
      view.busy = false;
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.notice = (res.body.created ? "Added " : "Saved ") + res.body.source.name + ".";
      view.form = null;
      return load();
    }).catch(function (e) { view.busy = false; view.error = e.message; render(); });
  }

  function test(name) {
    view.tests[name] = { pending: true }; render();
    api("POST", "/sources/" + encodeURIComponent(name) + "/test").then(function (res) {
      view.tests[name] = res.status === 200 ? res.body : { ok: false, message: problem(res) };
      render();
    });
  }

  function rerun(id) {
    api("POST", "/jobs/" + encodeURIComponent(id) + "/rerun").then(function (res) {
      if (res.status !== 200) { view.error = problem(res); render(); return; }
      view.notice = "Queued again."; load();
    });
  }

  function testText(t) {
    if (!t) { return ""; }
    if (t.pending) { return "Testing…"; }
    if (t.ok) { return "Connected: " + t.serverVersion + ", " + t.latencyMs + " ms" + (t.readOnlyVerified ? ", read-only verified" : ""); }
    return "Failed (" + (t.problem || "error") + "): " + t.message;
  }

  function input(f, key, label, attrs) {
    var i = el("input", Object.assign({ type: "text", id: "source-" + key }, attrs || {}));
    i.value = f[key];
    i.addEventListener("input", function () { f[key] = i.value; });
    return el("div", {}, [el("label", { "for": "source-" + key, text: label }), i]);
  }

  function choice(f, key, label, options) {
    var s = el("select", { id: "source-" + key }, options.map(function (o) {
      var opt = el("option", { value: o[0], text: o[1] }); if (o[0] === f[key]) { opt.selected = true; } return opt;
    }));
    s.addEventListener("change", function () { f[key] = s.value; });
    return el("div", {}, [el("label", { "for": "source-" + key, text: label }), s]);
  }

  function sourceForm() {
    var f = view.form;
    var save_ = el("button", { type: "button", "class": "primary", text: "Save data source", onclick: save });
    var cancel = el("button", { type: "button", text: "Cancel", onclick: function () { view.form = null; render(); } });
    if (view.busy) { save_.disabled = true; }
    return el("section", { "aria-label": "Data source" }, [
      el("h2", { text: f.existing ? "Change " + f.name : "Add a data source" }),
      el("div", { "class": "grid" }, [
        f.existing ? null : input(f, "name", "Name"),
        choice(f, "kind", "Engine", [["postgres", "PostgreSQL"], ["mysql", "MySQL / MariaDB"], ["sqlite", "SQLite"]]),
        choice(f, "environment", "Environment", [["staging", "Staging"], ["production", "Production (read-only account required)"]]),
        input(f, "projects", "Allowed Jira projects (comma-separated)"),
        input(f, "maxRows", "Row cap", { placeholder: "1000000" }),
        input(f, "maxBytes", "Byte cap", { placeholder: "268435456" }),
        input(f, "timeout", "Statement timeout (s)", { placeholder: "300" })
      ]),
      input(f, "url", f.existing ? "Connection URL (leave empty to keep the stored one)" : "Connection URL", { type: "password", autocomplete: "off" }),
      el("div", { "class": "actions" }, [save_, cancel])
    ]);
  }

  function sourcesTable() {
    var rows = (view.sources || []).map(function (s) {
      var t = view.tests[s.name];
      return el("tr", { "data-source": s.name }, [
        el("td", { text: s.name }), el("td", { text: s.kind }), el("td", { text: s.environment }),
        el("td", { text: (s.allowedProjects || []).join(", ") }), el("td", {}, [el("code", { text: s.url || s.urlProblem || "" })]),
        el("td", {}, [
          el("button", { type: "button", text: "Test", onclick: function () { test(s.name); } }), " ",
          el("button", { type: "button", text: "Change", onclick: function () {
            view.form = { name: s.name, kind: s.kind, url: "", environment: s.environment, projects: (s.allowedProjects || []).join(", "),
              maxRows: String(s.maxRows), maxBytes: String(s.maxBytes), timeout: String(s.statementTimeoutSecs), existing: true };
            render();
          } }),
          el("div", { "class": "muted test-result", text: testText(t) })
        ])
      ]);
    });
    if (!rows.length) { return el("p", { "class": "muted", text: "No data sources yet." }); }
    return el("table", { id: "sources" }, [
      el("thead", {}, [el("tr", {}, ["Name", "Engine", "Environment", "Projects", "URL", ""].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, rows)
    ]);
  }

  function jobsTable() {
    var jobs = view.jobs || [];
    if (!jobs.length) { return el("p", { "class": "muted", text: "No failed jobs." }); }
    return el("table", { id: "dead-jobs" }, [
      el("thead", {}, [el("tr", {}, ["Job", "Attempts", "Last error", ""].map(function (h) { return el("th", { text: h }); }))]),
      el("tbody", {}, jobs.map(function (j) {
        return el("tr", {}, [el("td", { text: j.kind }), el("td", { text: String(j.attempts) }),
          el("td", { text: j.lastError || "" }),
          el("td", {}, [el("button", { type: "button", text: "Run again", onclick: function () { rerun(j.id); } })])]);
      }))
    ]);
  }

  function render() {
    while (root.firstChild) { root.removeChild(root.firstChild); }
    root.appendChild(el("h1", { text: "Clearance administration" }));
    if (view.error) { root.appendChild(el("div", { "class": "error", role: "alert", text: view.error })); }
    if (view.notice) { root.appendChild(el("div", { "class": "notice", role: "status", text: view.notice })); }
    if (view.sources === null) { root.appendChild(el("p", { "class": "muted", text: view.error ? "" : "Loading…" })); return; }
    root.appendChild(el("h2", { text: "Data sources" }));
    root.appendChild(sourcesTable());
    if (view.form) { root.appendChild(sourceForm()); }
    else { root.appendChild(el("div", { "class": "actions" }, [el("button", { type: "button", "class": "primary", text: "Add a data source", onclick: function () { view.form = emptyForm(); render(); } })])); }
    [accessSection(), recipesSection(), slackSection(), slackUsersSection(), retentionSection(), ageKeysSection(),
      auditSection()].forEach(function (x) { if (x) { root.appendChild(x); } });
    root.appendChild(el("h2", { text: "Failed jobs" }));
    root.appendChild(jobsTable());
    if (window.AP && AP.resize) { AP.resize(); }
  }

  load();
})();
