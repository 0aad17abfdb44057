// Survey pages: show a scored question's follow-up only when the chosen score calls for it.
(function () {
  "use strict";
  function update(fieldset) {
    var limit = parseFloat(fieldset.getAttribute("data-followup-at"));
    var box = fieldset.querySelector("[data-followup-for]");
    if (!box || isNaN(limit)) return;
    var chosen = fieldset.querySelector("input[type=radio]:checked");
    box.hidden = !chosen || parseFloat(chosen.value) > limit;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var sets = document.querySelectorAll("fieldset[data-followup-at]");
    Array.prototype.forEach.call(sets, function (fieldset) {
      fieldset.addEventListener("change", function () { update(fieldset); });
      update(fieldset);
    });
  });
})();
