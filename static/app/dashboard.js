/* The dashboard page is rendered on the server; this script only downloads its numbers as CSV. Iframe pages have no
   cookies, so the file is fetched with a context token by Clearance.download() and handed to the browser as a blob. */
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
    Clearance.download("api/dashboard.csv?weeks=" + encodeURIComponent(weeks), "clearance-dashboard.csv").then(function () {
      say("Downloaded clearance-dashboard.csv", false);
    }).catch(function (e) {
      say("The download failed: " + e.message, true);
    }).then(function () { button.disabled = false; });
  });
})();
