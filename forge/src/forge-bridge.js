/* Clearance's pages inside Forge (Custom UI). The issue panel, the admin page and the dashboard are the same scripts
   Connect uses (static/app/common.js, panel.js, admin.js, dashboard.js, copied into the bundle by scripts/build.mjs); this file is all that
   differs. It gives common.js a host object, window.ClearanceForge = {call, download}, through which every API call
   goes to the deployed Clearance by Forge Remote (invokeRemote: Forge adds its invocation token and the app's OAuth
   tokens), tells the panel which issue it is on (view.getContext()), then loads common.js and the page's script in
   that order. Same-origin scripts only, no inline code: Forge serves this folder with a CSP that allows nothing else. */

/* Each page's root element (the same ids as templates/panel.html and admin.html) and the scripts it runs. */
const PAGES = {
  "clearance-panel": ["common.js", "panel.js"],
  "clearance-admin": ["common.js", "admin.js"],
  "clearance-dashboard": ["common.js", "dashboard.js"]
};

function text(e) {
  if (!e) { return ""; }
  if (typeof e === "string") { return e; }
  return String(e.message || (e.error && (e.error.message || e.error)) || "");
}

/* What a person should read when Forge refused a call or could not complete it. */
function explain(e) {
  const why = text(e).replace(/\s+/g, " ").trim();
  if (/invocation token|\b401\b/i.test(why)) {
    return "Clearance could not confirm that this call came from Jira (it did not accept Forge's invocation token). " +
      "Reload the page; if it keeps happening, ask your Jira admin to check that Clearance is set up for this Forge " +
      "app (CLEARANCE_FORGE_APP_ID).";
  }
  if (/time(d)?[ -]?out/i.test(why)) {
    return "Clearance did not answer in time. Try again in a moment.";
  }
  return "Jira could not reach Clearance" + (why ? " (" + why + ")" : "") + ". Try again; if it keeps failing, ask " +
    "your Jira admin to check that Clearance is running and reachable.";
}

/* Clearance.call over invokeRemote: the same {status, body} as on Connect. A non-2xx answer with a JSON body keeps
   its status and body; a call Forge rejects (401 from Clearance, no JSON body, network, timeout) is status 0 with
   {error} saying what happened. */
function forgeCall(bridge) {
  return function call(method, url, body, headers) {
    const input = { path: "/" + url, method: method };
    if (body !== undefined) { input.body = body; }
    if (headers) { input.headers = headers; }
    return Promise.resolve()
      .then(function () { return bridge.invokeRemote(input); })
      .then(function (res) {
        if (!res || typeof res.status !== "number" || res.status === 0) {
          return { status: 0, body: { error: explain(res) } };
        }
        return { status: res.status, body: res.body === undefined ? null : res.body };
      }, function (e) {
        return { status: 0, body: { error: explain(e) } };
      });
  };
}

/* Clearance.download over invokeRemote too: asked with `Accept: application/json`, Clearance answers a download as
   {fileName, contentType, content} (invokeRemote takes JSON answers only, up to 5 MB), which becomes the file. No
   direct browser-to-Clearance request (requestRemote) is needed, so the app declares no browser egress. */
function forgeDownload(bridge) {
  const call = forgeCall(bridge);
  return function download(url, fileName) {
    return Promise.resolve()
      .then(function () { return call("GET", url, undefined, { Accept: "application/json" }); })
      .then(function (res) {
        const b = res.body || {};
        if (res.status !== 200 || typeof b.content !== "string") {
          throw new Error(b.error || ("Clearance could not make the file (HTTP " + res.status + ")."));
        }
        const blob = new Blob([b.content], { type: b.contentType || "application/octet-stream" });
        window.Clearance.save(blob, b.fileName || fileName);
      });
  };
}

/* The panel's issue, as Connect's panel page carries it (data-issue-id), and the loading line. */
function describeIssue(root, context) {
  const ext = (context && context.extension) || {};
  const issue = ext.issue || {};
  if (issue.id === undefined || issue.id === null || issue.id === "") {
    throw new Error("Jira did not say which issue this panel is on");
  }
  root.setAttribute("data-issue-id", String(issue.id));
  if (issue.key) { root.setAttribute("data-issue-key", String(issue.key)); }
  const loading = root.querySelector("p.muted");
  if (loading && issue.key) {
    const project = ext.project && ext.project.key ? " in project " + ext.project.key : "";
    loading.textContent = "Loading the data request for " + issue.key + project + "…";
  }
}

/* Add the scripts one after the other, each once the previous one has run. */
function loadScripts(names) {
  return names.reduce(function (prev, name) {
    return prev.then(function () {
      return new Promise(function (resolve, reject) {
        const s = document.createElement("script");
        s.src = name;
        s.async = false;
        s.addEventListener("load", function () { resolve(); });
        s.addEventListener("error", function () { reject(new Error(name + " could not be loaded")); });
        document.body.appendChild(s);
      });
    });
  }, Promise.resolve());
}

/* Replace the page's content with a problem, as text. */
function fail(root, message) {
  while (root.firstChild) { root.removeChild(root.firstChild); }
  const h1 = document.createElement("h1");
  h1.textContent = "Clearance";
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  root.appendChild(h1);
  root.appendChild(box);
}

function start() {
  const id = Object.keys(PAGES).filter(function (k) { return document.getElementById(k); })[0];
  if (!id) { return; }
  const root = document.getElementById(id);
  if (!globalThis.__bridge) {
    fail(root, "This page runs inside Jira: open an issue, Clearance under Apps in Jira's settings, or the " +
      "Clearance dashboard under Apps in Jira's top bar.");
    return;
  }
  // Imported here, not at the top: @forge/bridge throws while loading when the host's bridge is missing.
  import("@forge/bridge")
    .then(function (bridge) {
      window.ClearanceForge = { call: forgeCall(bridge), download: forgeDownload(bridge) };
      if (id !== "clearance-panel") { return null; }
      return bridge.view.getContext().then(function (context) { describeIssue(root, context); });
    })
    .then(function () { return loadScripts(PAGES[id]); })
    .catch(function (e) { fail(root, "Clearance could not start: " + text(e)); });
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
