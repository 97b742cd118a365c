/* The sandbox's stand-in for the Forge host around a Custom UI iframe: it provides window.__bridge.callBridge, which
   @forge/bridge calls, for the two commands Clearance's bundle uses. `getContext` answers from the page's query
   (?as=<accountId>&issueId=&issueKey=&projectKey=&moduleKey=&moduleType=), and `invoke` (invokeRemote) goes to the
   simulator's POST /_sandbox/forge/invoke, which calls the remote exactly as Forge does (invocation token, system
   token, limits, rejections). Loaded before the bundle's own scripts; sandbox only, never part of the bundle. */
(function () {
  "use strict";

  var q = new URLSearchParams(window.location.search);
  var ctx = {
    accountId: q.get("as") || "",
    moduleKey: q.get("moduleKey") || "",
    moduleType: q.get("moduleType") || "",
    issueKey: q.get("issueKey"),
    issueId: q.get("issueId"),
    projectKey: q.get("projectKey")
  };

  function getContext() {
    var extension = { type: ctx.moduleType };
    if (ctx.issueId) {
      extension.issue = { id: ctx.issueId, key: ctx.issueKey };
      extension.project = { key: ctx.projectKey };
    }
    return { accountId: ctx.accountId, moduleKey: ctx.moduleKey, locale: "en-US", extension: extension };
  }

  function invoke(payload) {
    var body = { moduleKey: ctx.moduleKey, moduleType: ctx.moduleType, as: ctx.accountId, method: payload.method,
      path: payload.path, headers: payload.headers || {} };
    if (ctx.issueKey) { body.issueKey = ctx.issueKey; }
    if (payload.body !== undefined) { body.body = payload.body; }
    return fetch("/_sandbox/forge/invoke", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) }).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) { return { success: true, payload: j }; }
        return { success: false, error: { message: (j.error && j.error.message) || ("HTTP " + r.status) } };
      });
    });
  }

  /* Forge sizes a Custom UI iframe to its content: tell the sandbox's host page the height, with the message its
     Connect bridge already handles for Connect iframes (same origin: the sandbox serves the bundle). */
  function reportHeight() {
    if (window.parent === window) { return; }
    var height = Math.max(document.documentElement.scrollHeight, 120) + "px";
    window.parent.postMessage({ apType: "resize", height: height }, window.location.origin);
  }
  if (typeof ResizeObserver === "function") {
    new ResizeObserver(reportHeight).observe(document.documentElement);
  }

  window.__bridge = {
    callBridge: function (cmd, payload) {
      if (cmd === "getContext") { return Promise.resolve(getContext()); }
      if (cmd === "invoke") { return invoke(payload || {}); }
      return Promise.resolve(undefined);
    }
  };
})();
