// «Авторизация в Сферум»: the phone field keeps the mask +7 (9XX) XXX-XX-XX while typing (manual 003).
// Without JavaScript the field takes the number as typed and the server checks the format.
(function () {
  "use strict";
  function format(value) {
    var digits = value.replace(/\D/g, "");
    if (digits.charAt(0) === "8" || digits.charAt(0) === "7") digits = digits.slice(1);
    // «+79521112233» pasted after the prefix «+7 (»: drop the country code typed a second time.
    if (digits.length > 10 && (digits.charAt(0) === "7" || digits.charAt(0) === "8")) digits = digits.slice(1);
    digits = digits.slice(0, 10);
    var out = "+7";
    if (digits.length) out += " (" + digits.slice(0, 3);
    if (digits.length >= 3) out += ")";
    if (digits.length > 3) out += " " + digits.slice(3, 6);
    if (digits.length > 6) out += "-" + digits.slice(6, 8);
    if (digits.length > 8) out += "-" + digits.slice(8, 10);
    return out;
  }
  document.querySelectorAll("[data-phone-mask]").forEach(function (input) {
    input.addEventListener("input", function () {
      var digits = input.value.replace(/\D/g, "");
      input.value = digits.length ? format(input.value) : "";
    });
    input.addEventListener("focus", function () {
      if (!input.value) input.value = "+7 (";
    });
    input.addEventListener("blur", function () {
      if (input.value.replace(/\D/g, "").length <= 1) input.value = "";
    });
  });
})();
