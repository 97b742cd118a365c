/* Sandbox stand-in for Atlassian Connect's all.js: the parts of `AP` Clearance's pages use.
 * It talks to the host page (the simulated Jira issue view) with postMessage, as the real bridge does: the host
 * mints context JWTs for the viewing user, resizes the iframe and shows flags. Never loaded in production. */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var hostOrigin = (function () {
    try { return new URL(params.get("xdm_e")).origin; } catch (e) { return "*"; }
  })();
  var pending = {};
  var seq = 0;

  function call(type, data) {
    return new Promise(function (resolve, reject) {
      var id = "ap-" + (++seq);
      pending[id] = { resolve: resolve, reject: reject };
      window.parent.postMessage(Object.assign({ apType: type, apId: id }, data || {}), hostOrigin);
      setTimeout(function () {
        if (pending[id]) { delete pending[id]; reject(new Error("AP." + type + " timed out")); }
      }, 10000);
    });
  }

  window.addEventListener("message", function (event) {
    if (hostOrigin !== "*" && event.origin !== hostOrigin) { return; }
    var msg = event.data || {};
    var p = pending[msg.apId];
    if (!p) { return; }
    delete pending[msg.apId];
    if (msg.error) { p.reject(new Error(msg.error)); } else { p.resolve(msg.value); }
  });

  function withCallback(promise, cb) {
    if (typeof cb === "function") { promise.then(cb, function () { cb(undefined); }); }
    return promise;
  }

  function contentHeight() {
    var el = document.querySelector(".ac-content") || document.body;
    return Math.ceil(el.getBoundingClientRect().height + 16);
  }

  window.AP = {
    context: {
      getToken: function (cb) { return withCallback(call("getToken"), cb); },
      getContext: function (cb) { return withCallback(call("getContext"), cb); }
    },
    resize: function (width, height) {
      window.parent.postMessage({ apType: "resize", width: width || "100%", height: height || contentHeight() + "px" }, hostOrigin);
    },
    sizeToParent: function () { window.parent.postMessage({ apType: "resize", height: "100%" }, hostOrigin); },
    flag: {
      create: function (options) {
        window.parent.postMessage({ apType: "flag", title: options.title || "", body: options.body || "", kind: options.type || "info" }, hostOrigin);
        return { close: function () {} };
      }
    }
  };

  // Like Connect, keep the iframe as tall as its content.
  function autoResize() { window.AP.resize(); }
  window.addEventListener("load", autoResize);
  if (window.MutationObserver) {
    new MutationObserver(autoResize).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  }
})();
