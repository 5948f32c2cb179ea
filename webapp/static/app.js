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
  var box = document.getElementById("q");
  if (box && box.form && window.fetch) { autocomplete(box, box.form); }

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

  // Autocomplete (ARIA 1.2 combobox with a listbox popup): suggestions from /suggest while typing.
  function autocomplete(box, form) {
    var DELAY = 120;
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var items = [];
    var active = -1;
    var typed = box.value;
    var timer = 0;
    var controller = null;
    var cache = {};

    list.id = "q-suggestions";
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Gợi ý tìm kiếm");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    box.insertAdjacentElement("afterend", list);
    form.appendChild(status);
    box.setAttribute("role", "combobox");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-haspopup", "listbox");
    box.setAttribute("aria-expanded", "false");
    box.setAttribute("aria-controls", list.id);

    function fold(text) {  // one folded character per character, so offsets still match
      var out = "";
      for (var i = 0; i < text.length; i++) {
        var c = text[i].toLowerCase();
        out += c === "đ" ? "d" : c.normalize("NFD").charAt(0);
      }
      return out;
    }

    // A phrase shows what it adds to the typed words in bold; a title shows the typed words in bold.
    function label(text, kind) {
      var span = document.createElement("span");
      var want = fold(typed.trim());
      var at = want ? fold(text).indexOf(want) : -1;
      if (at < 0 || (kind !== "title" && at > 0)) {
        span.textContent = text;
        return span;
      }
      var parts = [text.slice(0, at), text.slice(at, at + want.length), text.slice(at + want.length)];
      parts.forEach(function (part, i) {
        if (!part) { return; }
        var bold = kind === "title" ? i === 1 : i !== 1;
        var node = bold ? document.createElement("b") : document.createTextNode(part);
        if (bold) { node.textContent = part; }
        span.appendChild(node);
      });
      return span;
    }

    function setActive(i) {
      if (active >= 0 && list.children[active]) { list.children[active].setAttribute("aria-selected", "false"); }
      active = i;
      if (i < 0) {
        box.removeAttribute("aria-activedescendant");
        box.value = typed;
        return;
      }
      var option = list.children[i];
      option.setAttribute("aria-selected", "true");
      box.setAttribute("aria-activedescendant", option.id);
      box.value = items[i].text;
      if (option.scrollIntoView) { option.scrollIntoView({ block: "nearest" }); }
    }

    function close() {
      if (active >= 0) { setActive(-1); }
      list.hidden = true;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }

    function show(found) {
      items = found;
      active = -1;
      list.textContent = "";
      box.removeAttribute("aria-activedescendant");
      found.forEach(function (item, i) {
        var option = document.createElement("li");
        option.id = "q-suggestion-" + i;
        option.className = "suggestion-" + item.kind;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.appendChild(label(item.text, item.kind));
        if (item.kind === "title") {
          var kind = document.createElement("span");
          kind.className = "kind";
          kind.textContent = "bài viết";
          option.appendChild(kind);
        }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep focus
        option.addEventListener("click", function () { choose(i); });
        list.appendChild(option);
      });
      list.hidden = found.length === 0;
      box.setAttribute("aria-expanded", found.length ? "true" : "false");
      status.textContent = found.length ? found.length + " gợi ý" : "";
    }

    function choose(i) {
      var item = items[i];
      close();
      if (item.kind === "title" && item.id) {
        window.location.href = "/articles/" + encodeURIComponent(item.id).replace(/%2F/g, "/");
        return;
      }
      box.value = item.text;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }

    function fetchSuggestions() {
      var prefix = typed;
      if (!prefix.trim()) { show([]); return; }
      if (cache.hasOwnProperty(prefix)) { show(cache[prefix]); return; }
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch("/suggest?" + new URLSearchParams({ q: prefix, limit: "8" }), {
        headers: { Accept: "application/json" }, signal: controller ? controller.signal : undefined,
      }).then(function (resp) {
        return resp.ok ? resp.json() : null;
      }).then(function (data) {
        if (!data) { return; }
        cache[prefix] = data.suggestions;
        if (prefix === typed && document.activeElement === box) { show(data.suggestions); }
      }).catch(function () { /* aborted or offline: the plain search still works */ });
    }

    box.addEventListener("input", function () {
      typed = box.value;
      window.clearTimeout(timer);
      if (!typed.trim()) { show([]); return; }
      timer = window.setTimeout(fetchSuggestions, DELAY);
    });

    box.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (event.altKey && event.key === "ArrowDown" && items.length) { show(items); event.preventDefault(); return; }
        if (!open) {
          if (items.length) { show(items); } else { fetchSuggestions(); }
          event.preventDefault();
          return;
        }
        var n = items.length;
        var next = event.key === "ArrowDown" ? active + 1 : active - 1;
        if (next >= n) { next = -1; } else if (next < -1) { next = n - 1; }
        setActive(next);
        event.preventDefault();
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); } else { close(); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      } else if (event.key === "Tab") {
        close();
      }
    });

    box.addEventListener("blur", function () {  // keep what the arrows put in the box
      typed = box.value;
      active = -1;
      close();
    });
  }
})();
