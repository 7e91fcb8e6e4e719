// Photo carousel buttons. The carousel itself is CSS scroll-snap and works
// without this file; here we only add Previous/Next buttons and a counter.
(function () {
  "use strict";
  document.querySelectorAll(".carousel").forEach(function (carousel) {
    var track = carousel.querySelector(".carousel-track");
    var count = track ? track.children.length : 0;
    if (count < 2) return;
    var counter = document.createElement("p");
    counter.className = "carousel-counter";
    counter.setAttribute("aria-live", "polite");
    function current() {
      return Math.round(track.scrollLeft / track.clientWidth);
    }
    function show() {
      counter.textContent = (current() + 1) + " / " + count;
    }
    function go(step) {
      var next = Math.max(0, Math.min(count - 1, current() + step));
      track.scrollTo({ left: next * track.clientWidth, behavior: "smooth" });
    }
    function button(label, text, step) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "carousel-btn";
      b.setAttribute("aria-label", label);
      b.textContent = text;
      b.addEventListener("click", function () { go(step); });
      return b;
    }
    var bar = document.createElement("div");
    bar.className = "carousel-controls";
    bar.appendChild(button("Previous photo", "\u2039", -1));
    bar.appendChild(counter);
    bar.appendChild(button("Next photo", "\u203A", 1));
    var hint = carousel.querySelector(".carousel-hint");
    if (hint) hint.remove();
    carousel.appendChild(bar);
    track.addEventListener("scroll", function () { window.requestAnimationFrame(show); }, { passive: true });
    show();
  });
})();
