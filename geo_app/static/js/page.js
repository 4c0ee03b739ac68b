/* What the pages' markup used to do with inline handlers (onchange=...), which the
   Content-Security-Policy forbids: a control marked data-submit-on-change submits its form
   when it changes (the month selector of the map pages). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var control = event.target;
    if (control && control.form && control.hasAttribute("data-submit-on-change")) {
      control.form.submit();
    }
  });
})();
