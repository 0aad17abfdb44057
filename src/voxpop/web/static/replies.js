// Reply editor: use a suggestion, copy a reply to the clipboard. No inline scripts (strict CSP).
(function () {
  "use strict";
  function textOf(id) {
    var el = document.getElementById(id);
    if (!el) return "";
    return el.value !== undefined ? el.value : el.textContent;
  }
  document.addEventListener("click", function (event) {
    var use = event.target.closest("[data-use]");
    if (use) {
      var box = document.getElementById("reply-text");
      if (!box) return;
      box.value = textOf(use.getAttribute("data-use"));
      var origin = document.getElementById("reply-origin");
      if (origin) origin.value = use.getAttribute("data-origin") || "manual";
      var template = document.getElementById("reply-template-id");
      if (template) template.value = use.getAttribute("data-template-id") || "";
      box.focus();
      if (window.htmx) window.htmx.trigger(box, "reply-filled");
      return;
    }
    var copy = event.target.closest("[data-copy-from]");
    if (copy) {
      var text = textOf(copy.getAttribute("data-copy-from"));
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copy.textContent = "Copied"; });
      } else {
        var area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        document.execCommand("copy");
        document.body.removeChild(area);
        copy.textContent = "Copied";
      }
    }
  });
})();
