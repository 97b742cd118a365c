/* The dashboard page is rendered on the server; this script only downloads its numbers as CSV. Iframe pages have no
   cookies, so the file is fetched with a context token (Clearance.token()) and handed to the browser as a blob. */
(function () {
  "use strict";
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
    Clearance.token().then(function (t) {
      return fetch("api/dashboard.csv?weeks=" + encodeURIComponent(weeks), { headers: { "Authorization": "JWT " + t } });
    }).then(function (r) {
      if (!r.ok) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          throw new Error((b && b.error) || ("HTTP " + r.status));
        });
      }
      return r.blob();
    }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var a = Clearance.el("a", { href: url, download: "clearance-dashboard.csv" });
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      say("Downloaded clearance-dashboard.csv", false);
    }).catch(function (e) {
      say("The download failed: " + e.message, true);
    }).then(function () { button.disabled = false; });
  });
})();
