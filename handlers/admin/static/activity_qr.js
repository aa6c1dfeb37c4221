/* The full-screen check-in code: reload the image a few times per rotation window. */
(function () {
  "use strict";
  var img = document.getElementById("qr");
  var stale = document.getElementById("stale");
  if (!img) return;
  var src = img.getAttribute("data-src");
  var every = Math.max(2, Math.floor(Number(img.getAttribute("data-seconds") || 30) / 6)) * 1000;
  function refresh() {
    var next = new Image();
    next.onload = function () { img.src = next.src; stale.hidden = true; };
    next.onerror = function () { stale.hidden = false; };
    next.src = src + "&t=" + Date.now();
  }
  setInterval(refresh, every);
})();
