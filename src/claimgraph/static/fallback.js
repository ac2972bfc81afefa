// The plain query form (api/templates/fallback.html): an example link fills the form.
// A file of its own, not an inline handler: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  document.querySelectorAll("a.example[data-query]").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      document.querySelector("textarea.query").value = a.dataset.query;
    });
  });
})();
