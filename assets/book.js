// Progressive enhancement for /book: when the day changes, fetch that day's
// free times and rebuild the list in place. Without JavaScript the
// "Show free times" button does the same through the server.
(function () {
  "use strict";
  var form = document.querySelector(".booking-form");
  if (!form || !window.fetch) return;
  var date = form.querySelector("#preferred_date");
  var slots = form.querySelector("#slots");
  document.documentElement.className += " js";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function render(day) {
    var legend = slots.querySelector("legend");
    while (slots.lastChild !== legend) slots.removeChild(slots.lastChild);
    var d = new Date(day.date + "T12:00:00");
    legend.textContent = "Time on " + d.toLocaleDateString("en-GB", { weekday: "long", day: "numeric", month: "long" });
    var free = day.slots.filter(function (s) { return s.bookable && s.available > 0; });
    if (!free.length) {
      slots.appendChild(el("p", "empty", (day.closed ? "The workshop is closed on this day. " : "No free times on this day. ") + "Please choose another day."));
      return;
    }
    var grid = el("div", "slot-grid");
    free.forEach(function (s) {
      var label = el("label", "slot");
      var input = el("input");
      input.type = "radio";
      input.name = "preferred_time";
      input.value = s.time;
      input.required = true;
      label.appendChild(input);
      label.appendChild(el("span", "", s.time));
      grid.appendChild(label);
    });
    slots.appendChild(grid);
  }

  date.addEventListener("change", function () {
    if (!date.value) return;
    slots.setAttribute("aria-busy", "true");
    fetch("/v1/availability?date=" + encodeURIComponent(date.value), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () { form.querySelector(".js-hide").click(); })
      .then(function () { slots.removeAttribute("aria-busy"); });
  });
})();
