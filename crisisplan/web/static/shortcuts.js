// Keyboard shortcuts of a console page (progressive enhancement: every action is a button or a link too).
// An element with data-key="t" is clicked (a button or link) or focused (a field) when t is pressed; the digits
// 1-9 press the enabled buttons inside [data-key-steps] in order; ? opens or closes the list of shortcuts
// (#shortcuts); Esc leaves a text field. Nothing fires while typing in a field, or with Ctrl, Alt or Cmd held.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (typing(e.target)) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var target = null;
    if (e.key === "?") {
      var help = document.getElementById("shortcuts");
      if (!help) return;
      help.open = !help.open;
      e.preventDefault();
      return;
    }
    if (/^[1-9]$/.test(e.key)) {
      target = document.querySelectorAll("[data-key-steps] button:not([disabled])")[parseInt(e.key, 10) - 1];
    } else if (/^[a-z]$/.test(e.key)) {
      target = document.querySelector('[data-key="' + e.key + '"]:not([disabled])');
    }
    if (!target) return;
    e.preventDefault();
    if (typing(target)) {
      target.scrollIntoView({block: "center"});
      target.focus();
    } else {
      target.click();
    }
  });
})();
