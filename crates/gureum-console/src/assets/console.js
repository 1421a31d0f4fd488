// Gureum console: small progressive enhancements; every page works without it.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // The header's region and account selectors apply on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
  // A JSON editor says whether its text parses before it is sent.
  document.querySelectorAll("textarea[data-json]").forEach(function (area) {
    var status = document.getElementById(area.id + "-status");
    area.addEventListener("input", function () {
      if (!status) { return; }
      try { JSON.parse(area.value); status.textContent = ""; }
      catch (e) { status.textContent = "Not valid JSON yet: " + e.message; }
    });
  });
});
