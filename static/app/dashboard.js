/* The dashboard's script. On Connect the page is rendered on the server (GET /dashboard, Jira signs its URL) and this
   script only wires the CSV button. On Forge (the global page's Custom UI, whose root is empty) it asks Clearance for
   the same content, rendered by the same server template, with Clearance.call (invokeRemote: Forge's invocation
   token; the server checks the role on every call), puts it in, and wires the button; a refusal is shown as text.
   Iframe pages have no cookies, so the CSV is fetched by Clearance.download() and handed to the browser as a blob. */
(function () {
  "use strict";
  var root = document.getElementById("clearance-dashboard");
  if (!root) { return; }

  function wire() {
    var button = document.getElementById("dashboard-csv");
    var status = document.getElementById("dashboard-csv-status");
    if (!button) { return; }

    function say(text, isError) {
      status.textContent = text;
      status.className = isError ? "error-text" : "muted";
    }

    button.addEventListener("click", function () {
      var weeks = button.getAttribute("data-weeks") || "12";
      button.disabled = true;
      say("Preparing the CSV…", false);
      Clearance.download("api/dashboard.csv?weeks=" + encodeURIComponent(weeks), "clearance-dashboard.csv").then(function () {
        say("Downloaded clearance-dashboard.csv", false);
      }).catch(function (e) {
        say("The download failed: " + e.message, true);
      }).then(function () { button.disabled = false; });
    });
  }

  function fail(message) {
    while (root.firstChild) { root.removeChild(root.firstChild); }
    root.appendChild(Clearance.el("h1", { text: "Clearance dashboard" }));
    root.appendChild(Clearance.el("div", { "class": "error", role: "alert", text: message }));
  }

  /* The server's markup (escaped by its template; the charts are SVG without scripts or inline styles) in place of
     the loading line. */
  function show(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html").getElementById("clearance-dashboard");
    if (!parsed) { fail("Clearance sent a dashboard this page cannot show."); return; }
    while (root.firstChild) { root.removeChild(root.firstChild); }
    while (parsed.firstChild) { root.appendChild(document.adoptNode(parsed.firstChild)); }
    wire();
  }

  if (!window.ClearanceForge) { wire(); return; }
  Clearance.call("GET", "api/dashboard?weeks=12").then(function (res) {
    var b = res.body || {};
    if (res.status === 200 && typeof b.html === "string") { show(b.html); return; }
    fail(b.error || ("Clearance could not show the dashboard (HTTP " + res.status + ")."));
  });
})();
