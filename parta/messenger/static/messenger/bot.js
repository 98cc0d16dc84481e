// The community bot's buttons («Подключить» / «Не подключать»): pressed without reloading the page, and
// replaced by the outcome on every open page of the chat as soon as the request is answered anywhere.
// Without this script the buttons are plain form buttons and work the same, with a page load.
(() => {
  "use strict";
  const body = document.body;
  const view = document.querySelector("[data-chat-view]");

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

  // Live: a socket of its own, opened only while the open chat shows a request waiting for an answer.
  if (!view || !body.dataset.ws) return;
  let socket = null;
  let attempt = 0;

  function waiting() {
    return Boolean(view.querySelector("[data-bot-form]"));
  }

  function connect() {
    if (socket || !waiting()) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + body.dataset.ws);
    socket = ws;
    ws.addEventListener("open", () => { attempt = 0; });
    ws.addEventListener("message", (event) => {
      try {
        const data = JSON.parse(event.data);
        if (data.type === "message" && data.html) replaceMessage(data);
      } catch (error) { /* a malformed frame is ignored */ }
      if (!waiting()) ws.close();
    });
    ws.addEventListener("close", (event) => {
      if (socket === ws) socket = null;
      if (event.code === 4401 || event.code === 4403 || !waiting()) return;
      attempt = Math.min(attempt + 1, 6);
      setTimeout(connect, Math.min(30000, 1000 * 2 ** attempt));
    });
  }

  connect();
  // A request that arrives while the page is open (inserted by messenger.js) starts the socket too.
  new MutationObserver(connect).observe(view, { childList: true, subtree: true });
})();
