// The archive works without script; this only adds conveniences.

// "/" puts the cursor in the search box, as on many search pages.
document.addEventListener("keydown", function (event) {
  var box = document.getElementById("q");
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
  if (event.key === "/" && box && !typing) {
    event.preventDefault();
    box.focus();
    box.select();
  }
});

// The facet panel is open on a wide screen (a sidebar) and closed on a
// phone (results first).  The stylesheet shows a closed panel's facets on
// wide screens by itself where the browser supports ::details-content;
// opening it here covers the others.
(function () {
  if (!window.matchMedia) return;
  var wide = window.matchMedia("(min-width: 50rem)");
  function fit() {
    var panels = document.querySelectorAll("details.facet-panel");
    for (var i = 0; i < panels.length; i++) panels[i].open = wide.matches;
  }
  fit();
  if (wide.addEventListener) wide.addEventListener("change", fit);
})();

// Date fields want YYYY-MM-DD, and a phone's number pad may have no "-":
// typing 20150721 gives 2015-07-21.  Only when typing at the end, so an
// edit in the middle is left alone.
document.addEventListener("input", function (event) {
  var field = event.target;
  if (!field.matches || !field.matches("form.dates input[type=text]")) return;
  if (!event.inputType || event.inputType.indexOf("insert") !== 0) return;
  if (field.selectionStart !== field.value.length) return;
  var digits = field.value.replace(/-/g, "");
  if (!/^\d{5,8}$/.test(digits)) return;
  field.value = digits.slice(0, 4) + "-" + digits.slice(4, 6) + (digits.length > 6 ? "-" + digits.slice(6) : "");
});
