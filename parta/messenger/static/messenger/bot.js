// The community bot's buttons («Подключить» / «Не подключать»): pressed without reloading the page. The
// page that pressed shows the outcome from the answer at once; every other open page of the chat gets it
// from the chat's real-time stream (messenger.js, «message_updated»), or on reconnect if it was offline.
// Without this script the buttons are plain form buttons and work the same, with a page load.
(() => {
  "use strict";

  function replaceMessage(message) {
    const old = document.getElementById("m" + message.id);
    if (!old || !old.querySelector("[data-bot-request]")) return;
    const template = document.createElement("template");
    template.innerHTML = message.html.trim(); // rendered and escaped by the server's template
    const fresh = template.content.firstElementChild;
    if (fresh) old.replaceWith(fresh);
  }

  function showError(form, text) {
    let note = form.parentElement.querySelector("[data-bot-error]");
    if (!note) {
      note = document.createElement("p");
      note.className = "bot-error";
      note.setAttribute("role", "alert");
      note.dataset.botError = "";
      form.after(note);
    }
    note.textContent = text;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target instanceof HTMLFormElement && event.target.matches("[data-bot-form]") ? event.target : null;
    if (!form) return;
    const pressed = event.submitter;
    if (!pressed || !pressed.value) return; // let the browser post it
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((button) => { button.disabled = true; });
    const data = new FormData();
    data.append("token", pressed.value);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const answer = await response.json();
      if (answer.message) {
        replaceMessage(answer.message);
        return;
      }
      showError(form, answer.error || "Не удалось отправить ответ. Попробуйте ещё раз.");
    } catch (error) {
      showError(form, "Нет соединения с сервером. Попробуйте ещё раз.");
    }
    buttons.forEach((button) => { button.disabled = false; });
  });
})();
