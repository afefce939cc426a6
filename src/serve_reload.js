// Added by `atlas-kb serve` to the pages it serves (never to a built site): reloads the
// page when the server says the site was rebuilt. EventSource reconnects by itself if the
// server restarts.
(function () {
  "use strict";
  if (!window.EventSource) return;
  var events = new EventSource("/_atlas-serve/events");
  events.addEventListener("open", function () {
    document.documentElement.setAttribute("data-atlas-serve", "listening");
  });
  events.addEventListener("reload", function () {
    window.location.reload();
  });
  // The notice of the site's problems goes away when dismissed, until the next rebuild.
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("#atlas-serve-report button");
    if (button) button.parentNode.remove();
  });
})();
