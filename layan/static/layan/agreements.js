// Drag deals between the stages of the pipeline board. Each card keeps its own small form,
// which is what a drop submits (through HTMX) and what works without JavaScript.
(function () {
  "use strict";
  var dragged = null;

  function column(target) {
    return target && target.closest ? target.closest("[data-stage]") : null;
  }
  function clear() {
    document.querySelectorAll(".drop-target").forEach(function (node) {
      node.classList.remove("drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-deal]") : null;
    if (!card) { return; }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    card.classList.add("dragging");
  });
  document.addEventListener("dragend", function () {
    if (dragged) { dragged.classList.remove("dragging"); }
    dragged = null;
    clear();
  });
  document.addEventListener("dragover", function (event) {
    var target = column(event.target);
    if (!target || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!target.classList.contains("drop-target")) {
      clear();
      target.classList.add("drop-target");
    }
  });
  document.addEventListener("drop", function (event) {
    var target = column(event.target);
    if (!target || !dragged) { return; }
    event.preventDefault();
    clear();
    var stage = target.getAttribute("data-stage");
    var form = dragged.querySelector("form.move");
    if (!form || stage === dragged.getAttribute("data-current")) { return; }
    form.querySelector("[name=stage]").value = stage;
    if (stage === "lost") {
      // A lost deal needs its reason: open the card's form instead of sending it.
      var details = dragged.querySelector("details");
      if (details) { details.open = true; }
      form.querySelector("[name=reason]").focus();
      return;
    }
    form.requestSubmit();
  });
})();
