// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  var form = document.querySelector(".filter-form");
  if (form) {
    // Apply a source/category checkbox at once; dates still use the "Áp dụng" button.
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox") {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    });
    // Filters apply to the query in the search box, even if it was edited first.
    form.addEventListener("submit", function () {
      var box = document.getElementById("q");
      var hidden = form.querySelector('input[name="q"]');
      if (box && hidden && box.value.trim()) { hidden.value = box.value; }
    });
    // On small screens start with the filter panel folded, unless a filter is in use.
    var panel = document.getElementById("filters");
    var inUse = form.querySelector("input:checked") || form.querySelector('input[type="date"]:not([value=""])');
    if (panel && !inUse && window.matchMedia("(max-width: 799px)").matches) { panel.open = false; }
  }
  // "/" focuses the search box, as on many search sites.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("q");
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.key === "/" && box && tag !== "input" && tag !== "textarea" && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
})();
