/* The ID's screens: timers that count down («Отправить SMS через 1:53», «Звонок поступит в течение
   00:56») and the eye that shows the password. The server enforces every timer; this only shows it. */
(function () {
  "use strict";

  function clock(seconds, padded) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return (padded && minutes < 10 ? "0" : "") + minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  document.querySelectorAll("[data-countdown]").forEach(function (element) {
    var total = parseInt(element.getAttribute("data-countdown"), 10) || 0;
    if (total <= 0) {
      return;
    }
    var padded = element.hasAttribute("data-padded");
    var started = Date.now();
    var timer = window.setInterval(function () {
      var left = Math.max(0, total - Math.floor((Date.now() - started) / 1000));
      var shown = element.querySelector("[data-clock]");
      if (shown) {
        shown.textContent = clock(left, padded);
      }
      if (left > 0) {
        return;
      }
      window.clearInterval(timer);
      if (element.tagName === "BUTTON") {
        element.disabled = false;
        element.textContent = element.getAttribute("data-label");
      } else {
        element.hidden = true;
        var after = element.parentNode.querySelector("[data-after-countdown]");
        if (after) {
          after.hidden = false;
        }
      }
    }, 1000);
  });

  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-reveal"));
      if (!input) {
        return;
      }
      var show = input.type === "password";
      input.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", show ? "true" : "false");
      button.setAttribute("aria-label", show ? "Скрыть пароль" : "Показать пароль");
    });
  });
})();
