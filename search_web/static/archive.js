// The archive works without script; this only adds the "/" shortcut that
// puts the cursor in the search box, as many search pages do.
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
