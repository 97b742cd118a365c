/* What Clearance's iframe pages share: building elements with text only (never HTML from the server), a context
   token from AP.context.getToken() for every call (no cookies in iframes), and calling the app's JSON API with it. */
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

  /* `method` on the app-relative `url` with a fresh context token; resolves to {status, body (parsed JSON or null)}. */
  function call(method, url, body) {
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

  window.Clearance = { el: el, token: token, call: call };
})();
