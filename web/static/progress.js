// Progressive enhancement: the server renders the counter; this only moves
// its minutes (and hours and days) on while the page stays open.
(function () {
  "use strict";
  var box = document.querySelector("[data-live-counter]");
  if (!box) { return; }
  var days = Number(box.getAttribute("data-days"));
  var rendered = Date.now();
  var start = { d: days, h: Number(box.getAttribute("data-hours")),
                m: Number(box.getAttribute("data-minutes")) };
  function tick() {
    var total = start.d * 1440 + start.h * 60 + start.m +
      Math.floor((Date.now() - rendered) / 60000);
    var parts = { days: Math.floor(total / 1440), hours: Math.floor(total / 60) % 24,
                  minutes: total % 60 };
    Object.keys(parts).forEach(function (name) {
      var el = box.querySelector("[data-unit=" + name + "]");
      if (el) { el.textContent = String(parts[name]); }
    });
  }
  window.setInterval(tick, 15000);
}());
