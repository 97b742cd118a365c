/* What Clearance's pages share, in Jira through Atlassian Connect (iframes served by Clearance) or through Forge
   (the same scripts in a Custom UI bundle, forge/): building elements with text only (never HTML from the server),
   and calling the app's JSON API. On Connect every call carries a context token from AP.context.getToken() (no
   cookies in iframes); on Forge the bundle's bridge (forge/src/forge-bridge.js) defines window.ClearanceForge and
   the calls go through Forge (invokeRemote), which signs them itself. */
(function () {
  "use strict";

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

  /* The Forge host object, when the page runs inside the Forge bundle. */
  function forge() {
    return window.ClearanceForge || null;
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

  /* `method` on the app-relative `url`; resolves to {status, body (parsed JSON or null)}. On Forge, a call Forge
     itself refused or could not complete resolves to {status: 0, body: {error: "…"}}. */
  function call(method, url, body) {
    var host = forge();
    if (host) { return host.call(method, url, body); }
    return token().then(function (t) {
      var init = { method: method, headers: { "Authorization": "JWT " + t } };
      if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return fetch(url, init);
    }).then(function (r) {
      return r.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return { status: r.status, body: json };
      });
    });
  }

  /* Hand a blob to the browser as a download named `fileName`. */
  function save(blob, fileName) {
    var href = URL.createObjectURL(blob);
    var a = el("a", { href: href, download: fileName });
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(href); }, 10000);
  }

  /* The reason a failed download gives: the JSON body's `error`, else the status. */
  function failure(r) {
    return r.json().catch(function () { return null; }).then(function (b) {
      throw new Error((b && b.error) || ("HTTP " + r.status));
    });
  }

  /* GET the app-relative `url` (a file such as a CSV) and hand it to the browser as `fileName`. Resolves once the
     download has started; rejects with an Error whose message says why it failed. */
  function download(url, fileName) {
    var host = forge();
    if (host) { return host.download(url, fileName); }
    return token().then(function (t) {
      return fetch(url, { headers: { "Authorization": "JWT " + t } });
    }).then(function (r) {
      if (!r.ok) { return failure(r); }
      return r.blob();
    }).then(function (blob) { save(blob, fileName); });
  }

  window.Clearance = { el: el, token: token, call: call, download: download, save: save };
})();
