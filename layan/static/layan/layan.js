// Small comforts on top of pages that work without JavaScript.
(function () {
  "use strict";
  // Ctrl/Cmd+Enter sends the form a textarea belongs to.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.form &&
        event.target.tagName === "TEXTAREA") {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
  // Flash messages fade after a while; errors stay.
  function fade(root) {
    root.querySelectorAll(".flash-success, .flash-info").forEach(function (node) {
      setTimeout(function () { node.classList.add("gone"); }, 4000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fade(document); });
  document.addEventListener("htmx:afterSwap", function (event) { fade(event.target); });
  // A 409 or 400 answer still carries the form to show; let htmx swap it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 409 || status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
