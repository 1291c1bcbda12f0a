// Progressive enhancement only: every action works without this file.
// 1. Countdowns: elements with data-due tick every second and turn amber, then red.
// 2. Live tone checks: textareas with data-lint are checked as you type.
// 3. Live drills: injects appear as they arrive.
(function () {
  "use strict";
  // the same words as the server's spoken_duration (crisisplan/duration.py): "45 s", "14 min", "1 h 5 min", "2 days 4 h"
  var words = document.documentElement.dataset;  // the page's language: data-due-in, data-overdue, data-day(s)
  function fmt(seconds) {
    var s = Math.abs(Math.round(seconds));
    if (s < 60) return s + " s";
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), parts = [];
    if (d) parts.push((d === 1 ? words.day || "{n} day" : words.days || "{n} days").replace("{n}", d));
    if (h) parts.push(h + " h");
    if (m && !d) parts.push(m + " min");
    return parts.slice(0, 2).join(" ");
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - Date.now()) / 1000;
      el.textContent = (left <= 0 ? words.overdue || "{t} overdue" : words.dueIn || "in {t}").replace("{t}", fmt(left));
      el.classList.toggle("red", left <= 0);
      el.classList.toggle("amber", left > 0 && left <= 300);
    });
  }
  setInterval(tick, 1000);

  var token = document.querySelector('meta[name="csrf-token"]');
  function lint(area) {
    var out = document.getElementById("live-" + area.id);
    if (!out) return;
    fetch(document.body.dataset.lintUrl || "/console/lint", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token ? token.content : ""},
      body: JSON.stringify({text: area.value, locale: area.dataset.locale, channel: area.dataset.channel,
                            post: parseInt(area.dataset.post, 10), audience: area.dataset.audience})
    }).then(function (r) { return r.json(); }).then(function (data) {
      out.replaceChildren();
      var head = document.createElement("li");
      head.textContent = data.summary + (data.over_limit ? " — over the limit" : "");
      out.appendChild(head);
      (data.findings || []).forEach(function (f) {
        var li = document.createElement("li");
        li.className = "finding " + f.severity;
        var span = f.end > f.start ? " — “" + area.value.slice(f.start, f.end) + "”" : "";
        li.textContent = f.severity + ": [" + f.rule + "] " + f.message + span;  // text, never HTML
        out.appendChild(li);
      });
    }).catch(function () {});
  }
  // 3. Live drills: new injects appear without a reload (the page shows them on reload too).
  var injects = document.getElementById("drill-injects");
  function poll() {
    fetch(injects.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (list) {
      if (list.length === parseInt(injects.dataset.count, 10)) return;
      injects.dataset.count = String(list.length);
      injects.replaceChildren();
      list.forEach(function (i) {
        var p = document.createElement("p"), b = document.createElement("strong");
        b.textContent = i.inject.replace(/_/g, " ");
        p.appendChild(b);
        p.appendChild(document.createTextNode((i.author ? " from " + i.author + (i.reach ? " (" + i.reach + " followers)" : "") : "") + ": " + i.text));
        injects.appendChild(p);
      });
    }).catch(function () {});
  }
  if (injects) setInterval(poll, 5000);

  document.querySelectorAll("textarea[data-lint]").forEach(function (area) {
    var timer;
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { lint(area); }, 300); });
    lint(area);
  });
})();

// One-click copy: a button with data-copy-target copies that element's text (shown without JavaScript too).
(function () {
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyTarget);
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent).then(function () { button.textContent = "Copied"; });
    });
  });
})();

// The declare form: picking a runbook shows its severities at once (without this, "Show its severities" reloads).
(function () {
  var runbook = document.getElementById("runbook"), severity = document.getElementById("severity");
  var chosen = document.getElementById("runbook-chosen"), step = document.getElementById("runbook-step");
  if (!runbook || !severity || !chosen) return;
  if (step) step.hidden = true;
  var label = document.querySelector('label[for="severity"]');
  runbook.addEventListener("change", function () {
    var option = runbook.options[runbook.selectedIndex];
    chosen.value = runbook.value;
    severity.replaceChildren();
    JSON.parse(option.dataset.severities || "[]").forEach(function (s) {
      var o = document.createElement("option");
      o.value = s.name;
      o.textContent = s.text;
      severity.appendChild(o);
    });
    if (label) label.textContent = "Severity (" + (option.dataset.title || option.textContent) + ")";
  });
})();
