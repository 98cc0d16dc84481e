/* The messenger's page script (no build step): the WebSocket — live messages, changed messages (the
 * bot's answered request), read markers, unread counts, reconnecting with back-off and catching up on
 * what was missed — the composer, and older pages. Every page works without it; this only makes it
 * live. Messages are kept once each, by id; a changed one is replaced in place. */
"use strict";
(function () {
  const body = document.body;
  if (!body.dataset.ws) return;
  const me = Number(body.dataset.profile);
  const view = document.querySelector("[data-chat-view]");
  const chatId = view ? Number(view.dataset.chat) : null;
  const live = Boolean(view && view.dataset.live === "1");
  const box = view ? view.querySelector("[data-messages]") : null;
  const mainList = box ? box.querySelector(".message-list") : null;
  const banner = document.querySelector("[data-connection]");
  const unread = {};
  let readUpTo = view ? Number(view.dataset.readUpTo || 0) : 0;
  let removed = false;
  // The server's time this page last heard from it (the page's render, then each «subscribed»): on a
  // reconnect the server sends the messages that changed since then.
  let since = view ? view.dataset.since || "" : "";

  // --- unread counts: the rows of «Чаты» and the badge of the bar ------------------------------------
  document.querySelectorAll("[data-chat-list] li[data-chat]").forEach((row) => {
    const badge = row.querySelector("[data-unread]");
    unread[row.dataset.chat] = badge ? Number(badge.dataset.unread || 0) : 0;
  });

  function renderCounts() {
    let total = 0;
    for (const [chat, count] of Object.entries(unread)) {
      total += count;
      document.querySelectorAll(`[data-chat-list] li[data-chat="${chat}"] [data-unread]`).forEach((badge) => {
        badge.dataset.unread = String(count);
        badge.textContent = count > 99 ? "99+" : String(count);
        badge.setAttribute("aria-label", `Непрочитанных: ${count}`);
        badge.hidden = count === 0;
      });
    }
    const totalBadge = document.querySelector("[data-total-unread]");
    if (totalBadge) {
      totalBadge.textContent = total > 99 ? "99+" : String(total);
      totalBadge.setAttribute("aria-label", `Непрочитанных: ${total}`);
      totalBadge.hidden = total === 0;
    }
  }
  renderCounts();

  function updateRow(message) {
    document.querySelectorAll(`[data-chat-list] li[data-chat="${message.chat}"]`).forEach((row) => {
      if (Number(row.dataset.last || 0) >= message.id) return;
      row.dataset.last = String(message.id);
      const last = row.querySelector("[data-last-text]");
      if (last) {
        last.textContent = "";
        const who = document.createElement("b");
        who.textContent = (message.author_id === me ? "Вы" : message.author_short || message.author_name) + ": ";
        last.append(who, message.text ? message.text.slice(0, 90) : message.has_attachment ? "Файл" : "");
      }
      let time = row.querySelector(".row-top time");
      if (!time) {
        time = document.createElement("time");
        row.querySelector(".row-top").append(time);
      }
      time.dateTime = message.created_at;
      time.textContent = message.created_at.slice(11, 16);
      row.parentElement.prepend(row);
    });
  }

  // --- the open chat -------------------------------------------------------------------------------
  function lastId() {
    const items = mainList ? mainList.querySelectorAll(".msg") : [];
    return items.length ? Number(items[items.length - 1].dataset.id) : Number(mainList ? mainList.dataset.newest || 0 : 0);
  }

  function nearBottom() {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 160;
  }

  function toBottom() {
    box.scrollTop = box.scrollHeight;
  }

  function markRead(upTo) {
    readUpTo = Math.max(readUpTo, upTo);
    mainList.querySelectorAll(".msg.mine:not(.read)").forEach((item) => {
      if (Number(item.dataset.id) <= readUpTo) item.classList.add("read");
    });
  }

  function insertMessage(message) {
    if (document.getElementById("m" + message.id)) return false;
    const template = document.createElement("template");
    template.innerHTML = message.html.trim(); // rendered and escaped by the server's template
    const item = template.content.firstElementChild;
    if (message.author_id === me) {
      item.classList.add("mine");
      if (message.id <= readUpTo) item.classList.add("read");
    }
    const items = mainList.querySelectorAll(".msg");
    let before = null;
    for (let i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].dataset.id) < message.id) break;
      before = items[i];
    }
    if (before) before.before(item);
    else mainList.append(item);
    const empty = box.querySelector("[data-no-messages]");
    if (empty) empty.remove();
    return true;
  }

  function replaceMessage(message) {
    const old = document.getElementById("m" + message.id);
    if (!old) return;
    const template = document.createElement("template");
    template.innerHTML = message.html.trim(); // rendered and escaped by the server's template
    const item = template.content.firstElementChild;
    if (!item) return;
    if (message.author_id === me) {
      item.classList.add("mine");
      if (message.id <= readUpTo) item.classList.add("read");
    }
    old.replaceWith(item);
  }

  let readTimer = null;
  let readSent = 0;
  function scheduleRead() {
    if (!live || removed || document.visibilityState !== "visible") return;
    clearTimeout(readTimer);
    readTimer = setTimeout(sendRead, 250);
  }
  function sendRead() {
    const upTo = lastId();
    if (upTo <= readSent) return;
    readSent = upTo;
    const form = new FormData();
    form.append("up_to", String(upTo));
    fetch(view.dataset.readUrl, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    }).catch(() => { readSent = 0; });
    unread[String(chatId)] = 0;
    renderCounts();
  }

  function csrfToken() {
    const input = document.querySelector("[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    const match = document.cookie.match(/(?:^|;\s*)parta_platform_csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function leaveChat(notice) {
    removed = true;
    const composer = view.querySelector("[data-composer]");
    if (composer) composer.hidden = true;
    view.querySelector(notice).hidden = false;
  }

  if (view && box) {
    if (live && !location.hash) toBottom();
    let stick = live;
    box.addEventListener("scroll", () => {
      stick = nearBottom();
      // Scrolled up to the top: the previous page comes by itself («Показать ранее» does the same).
      const older = box.scrollTop < 80 && box.querySelector("[data-older-link]:not([aria-busy])");
      if (older) older.click();
    });
    box.addEventListener("load", () => { if (stick) toBottom(); }, true); // images growing the history
    document.addEventListener("visibilitychange", scheduleRead);

    box.addEventListener("click", async (event) => {
      const link = event.target.closest("[data-older-link]");
      if (!link) return;
      event.preventDefault();
      link.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(link.href, { headers: { "X-Parta-Partial": "1" }, credentials: "same-origin" });
        if (!response.ok) throw new Error(String(response.status));
        const template = document.createElement("template");
        template.innerHTML = await response.text();
        const height = box.scrollHeight;
        const items = Array.from(template.content.querySelectorAll(".message-list > li"));
        const fresh = items.filter((item) => !item.id || !document.getElementById(item.id));
        mainList.prepend(...fresh);
        const older = template.content.querySelector("[data-older]");
        const current = box.querySelector("[data-older]");
        if (older) current.replaceWith(older);
        else current.remove();
        box.scrollTop += box.scrollHeight - height;
      } catch (error) {
        location.href = link.href;
      }
    });

    const composer = view.querySelector("[data-composer]");
    if (composer) setUpComposer(composer);
  }

  function sizeLabel(size) {
    const mb = size / (1024 * 1024);
    if (mb >= 1) return `${String(Math.round(mb * 10) / 10).replace(".", ",")} МБ`;
    return `${Math.max(1, Math.floor(size / 1024))} КБ`;
  }

  function setUpComposer(form) {
    const text = form.querySelector("[data-text]");
    const file = form.querySelector("[data-file]");
    const fileName = form.querySelector("[data-file-name]");
    const error = form.querySelector("[data-composer-error]");
    const button = form.querySelector("button[type=submit]");
    const key = form.querySelector("[name=client_key]");
    const maxBytes = Number(form.dataset.maxBytes || 0);
    const coarse = window.matchMedia("(pointer: coarse)").matches;

    function showError(message) {
      error.textContent = message;
      error.hidden = !message;
    }
    function grow() {
      text.style.height = "auto";
      text.style.height = Math.min(text.scrollHeight + 2, 160) + "px";
    }
    text.addEventListener("input", grow);
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !coarse) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    file.addEventListener("change", () => {
      showError("");
      const chosen = file.files[0];
      if (chosen && maxBytes && chosen.size > maxBytes) {
        showError(`Файл «${chosen.name}» слишком большой (${sizeLabel(chosen.size)}): можно прикрепить файл до ${sizeLabel(maxBytes)}.`);
        file.value = "";
      }
      const kept = file.files[0];
      fileName.textContent = kept ? `Файл: ${kept.name} (${sizeLabel(kept.size)})` : "";
      fileName.hidden = !kept;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!text.value.trim() && !file.files.length) {
        showError("Напишите сообщение или прикрепите файл.");
        return;
      }
      // One key per message: sending it again after a failure never makes a second message.
      if (!key.value) key.value = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9-]/g, "");
      button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) {
          showError(data.error || "Не удалось отправить сообщение. Попробуйте ещё раз.");
          return;
        }
        showError("");
        text.value = "";
        file.value = "";
        key.value = "";
        fileName.hidden = true;
        grow();
        if (insertMessage(data.message)) toBottom();
        updateRow(data.message);
      } catch (failure) {
        showError("Не удалось отправить: нет соединения с сервером. Попробуйте ещё раз.");
      } finally {
        button.disabled = false;
        text.focus();
      }
    });
  }

  // --- the WebSocket --------------------------------------------------------------------------------
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let silenceTimer = null;
  let bannerTimer = null;

  function online(yes) {
    clearTimeout(bannerTimer);
    if (yes) banner.hidden = true;
    else bannerTimer = setTimeout(() => { banner.hidden = false; }, 1200); // a short blip shows nothing
  }

  function connect() {
    clearTimeout(retryTimer);
    if (socket || !navigator.onLine) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + body.dataset.ws);
    socket = ws;
    ws.addEventListener("open", () => {
      attempt = 0;
      online(true);
      // Catch-up: the last message this page has; the server sends what came after it.
      const chats = {};
      if (live && !removed) chats[chatId] = lastId();
      ws.send(JSON.stringify({ type: "subscribe", chats, since }));
      // A connection that died without a word (a Wi-Fi switch, a sleeping laptop) is noticed by its
      // silence: a ping every 25 s, and no answer within 10 s means the socket is given up.
      clearInterval(pingTimer);
      pingTimer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send('{"type":"ping"}');
        clearTimeout(silenceTimer);
        silenceTimer = setTimeout(() => { if (socket === ws) { abandon(); retry(); } }, 10000);
      }, 25000);
    });
    ws.addEventListener("message", (event) => {
      clearTimeout(silenceTimer);
      try { handle(JSON.parse(event.data)); } catch (error) { /* a malformed frame is ignored */ }
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return; // already given up (offline, silent): its late close changes nothing
      abandon();
      if (event.code === 4401 || event.code === 4403) return; // signed out: the next page load says so
      retry();
    });
  }

  // Gives the socket up at once: the close handshake of a dead network can take a long time, and the
  // page must say it is offline (and not count on that socket) from the moment it knows.
  function abandon() {
    const ws = socket;
    socket = null;
    body.dataset.socket = "closed";
    clearInterval(pingTimer);
    clearTimeout(silenceTimer);
    online(false);
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.close();
  }

  function retry() {
    clearTimeout(retryTimer);
    const delay = Math.min(30000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt = Math.min(attempt + 1, 6);
    retryTimer = setTimeout(connect, delay);
  }

  function disconnect() {
    // Offline: no retries until the browser says it is online again (the "online" event reconnects).
    clearTimeout(retryTimer);
    if (socket) abandon();
    else online(false);
  }

  function handle(event) {
    switch (event.type) {
      case "message": {
        const open = live && !removed && event.chat === chatId;
        if (open) {
          const stickNow = nearBottom();
          if (insertMessage(event) && (stickNow || event.author_id === me)) toBottom();
          if (event.author_id !== me) scheduleRead();
        }
        if (!event.replay && event.author_id !== me && !(open && document.visibilityState === "visible")) {
          unread[String(event.chat)] = (unread[String(event.chat)] || 0) + 1;
          renderCounts();
        }
        updateRow(event);
        break;
      }
      case "message_updated":
        if (view && event.chat === chatId) replaceMessage(event);
        break;
      case "read":
        if (view && event.chat === chatId) markRead(event.up_to);
        break;
      case "unread":
        unread[String(event.chat)] = event.unread;
        renderCounts();
        break;
      case "counts":
        for (const chat of Object.keys(unread)) unread[chat] = 0;
        Object.assign(unread, event.unread);
        if (live && !removed && document.visibilityState === "visible") unread[String(chatId)] = 0;
        renderCounts();
        break;
      case "chat_added":
        if (!view && document.querySelector("[data-chat-list]")) location.reload();
        break;
      case "chat_removed":
      case "gone":
        if (view && event.chat === chatId) leaveChat("[data-removed-notice]");
        document.querySelectorAll(`[data-chat-list] li[data-chat="${event.chat}"]`).forEach((row) => row.remove());
        delete unread[String(event.chat)];
        renderCounts();
        break;
      case "chat_state":
        if (view && event.chat === chatId && event.archived) leaveChat("[data-archived-notice]");
        break;
      case "subscribed":
        if (event.at) since = event.at;
        body.dataset.socket = "live"; // caught up and live (the browser tests wait for it)
        break;
      case "reload":
        if (view && event.chat === chatId) location.reload();
        break;
      default:
        break;
    }
  }

  window.addEventListener("online", connect);
  window.addEventListener("offline", disconnect);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") connect(); });
  window.addEventListener("pagehide", () => { clearTimeout(retryTimer); if (socket) { const ws = socket; socket = null; ws.close(); } });
  connect();
})();
