// The web chat page: same-origin fetch for everything it sends, server-sent events for what arrives.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const statusLine = document.getElementById("status");
  const form = document.getElementById("composer");
  const textBox = document.getElementById("text");
  const photoInput = document.getElementById("photo-input");
  const personaBox = document.querySelector(".persona");
  const personaSelect = document.getElementById("persona");
  const commandsNav = document.getElementById("commands");
  const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "S", "CODE", "PRE", "A", "BR"]);
  let csrf = "";
  let lastId = 0;
  let events = null;
  const seen = new Set();

  function clientId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Build the bot's markup from a parsed copy, keeping only the safe subset; text is always text.
  function appendMarkup(target, html) {
    const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
    const copy = (from, to) => {
      for (const node of from.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          to.appendChild(document.createTextNode(node.textContent));
        } else if (node.nodeType === Node.ELEMENT_NODE) {
          if (!ALLOWED.has(node.tagName)) { copy(node, to); continue; }
          const el = document.createElement(node.tagName);
          if (node.tagName === "A") {
            const href = node.getAttribute("href") || "";
            if (/^https?:\/\//i.test(href)) { el.href = href; el.target = "_blank"; el.rel = "noopener noreferrer"; }
          }
          copy(node, el);
          to.appendChild(el);
        }
      }
    };
    copy(doc.body, target);
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showError(text) {
    const li = document.createElement("li");
    li.className = "msg msg--error";
    li.setAttribute("role", "alert");
    li.textContent = text;
    log.appendChild(li);
    scrollDown();
  }

  function mine(m) {
    if (m.kind === "text") return m.text;
    if (m.kind === "location") return `📍 ${m.lat.toFixed(5)}, ${m.lon.toFixed(5)}`;
    if (m.kind === "photos") return `📷 Фото: ${m.count}`;
    return m.label ? `▸ ${m.label}` : "▸";
  }

  function render(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    lastId = Math.max(lastId, m.id);
    const li = document.createElement("li");
    li.dataset.id = m.id;
    if (m.from === "me") {
      li.className = "msg msg--me";
      li.textContent = mine(m);
    } else {
      li.className = "msg msg--bot";
      if (m.photos && m.photos.length) {
        const box = document.createElement("div");
        box.className = "msg__photos";
        for (const url of m.photos) {
          const img = document.createElement("img");
          img.src = url; img.alt = "Фото к обращению"; img.loading = "lazy";
          box.appendChild(img);
        }
        li.appendChild(box);
      }
      const text = document.createElement("div");
      appendMarkup(text, m.html);
      li.appendChild(text);
      for (const f of m.files || []) {
        const link = document.createElement("a");
        link.href = f.url; link.className = "msg__file";
        if (f.image) {
          const img = document.createElement("img");
          img.src = f.url; img.alt = f.name; img.loading = "lazy";
          link.target = "_blank"; link.rel = "noopener";
          link.appendChild(img);
        } else {
          link.download = f.name; link.textContent = `📄 ${f.name}`;
        }
        li.appendChild(link);
      }
      const rows = (m.buttons || []).filter((r) => r.length);
      if (m.ask_location || rows.length) {
        const wrap = document.createElement("div");
        wrap.className = "buttons";
        if (m.ask_location) wrap.appendChild(row([{ label: m.location_label, location: true }]));
        for (const r of rows) wrap.appendChild(row(r));
        li.appendChild(wrap);
      }
    }
    log.appendChild(li);
    scrollDown();
    if (document.hidden && m.from === "bot") document.title = "● Новое сообщение — Активный регион";
  }

  function row(buttons) {
    const div = document.createElement("div");
    div.className = "buttons__row";
    for (const b of buttons) {
      const el = document.createElement("button");
      el.type = "button";
      el.textContent = b.label;
      el.addEventListener("click", () => (b.location ? shareLocation() : press(b)));
      div.appendChild(el);
    }
    return div;
  }

  async function call(path, options) {
    try {
      const response = await fetch(path, { credentials: "same-origin", ...options });
      if (!response.ok) {
        let message = "Не удалось отправить — попробуйте ещё раз.";
        try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
        showError(message);
        return null;
      }
      return await response.json();
    } catch (e) {
      showError("Нет связи с сервером — проверьте интернет и попробуйте ещё раз.");
      return null;
    }
  }

  function post(body) {
    return call("/web/api/send", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ id: clientId(), ...body }),
    });
  }

  function press(b) { return post({ kind: "press", data: b.data, label: b.label }); }

  function shareLocation() {
    if (!navigator.geolocation) { showError("Браузер не умеет определять место — напишите адрес текстом."); return; }
    statusLine.textContent = "Определяю место…";
    navigator.geolocation.getCurrentPosition(
      (pos) => { statusLine.textContent = ""; post({ kind: "location", lat: pos.coords.latitude, lon: pos.coords.longitude }); },
      () => { statusLine.textContent = ""; showError("Не удалось определить место — напишите адрес текстом."); },
      { enableHighAccuracy: true, timeout: 15000 });
  }

  async function sendPhotos(files) {
    if (!files.length) return;
    const data = new FormData();
    for (const f of files) data.append("photo", f, f.name);
    statusLine.textContent = `Загружаю фото: ${files.length}…`;
    await call(`/web/api/photos?id=${clientId()}`, { method: "POST", headers: { "X-CSRF-Token": csrf }, body: data });
    statusLine.textContent = "";
    photoInput.value = "";
  }

  function showCommands(commands) {
    commandsNav.replaceChildren();
    for (const c of commands) {
      const el = document.createElement("button");
      el.type = "button";
      el.textContent = `/${c.command}`;
      el.title = c.description;
      el.setAttribute("aria-label", `/${c.command} — ${c.description}`);
      el.addEventListener("click", () => post({ kind: "text", text: `/${c.command}` }));
      commandsNav.appendChild(el);
    }
  }

  function listen() {
    if (events) events.close();
    events = new EventSource(`/web/api/events?after=${lastId}`);
    events.onmessage = (e) => render(JSON.parse(e.data));
  }

  function applyUi(lang, ui) {
    document.documentElement.lang = lang;
    document.querySelector(".chat__sub").textContent = ui.subtitle;
    document.querySelector("label[for=text]").textContent = ui.message;
    textBox.placeholder = ui.placeholder;
    form.querySelector("button.send").textContent = ui.send;
    const attach = document.querySelector("label.attach");
    attach.title = ui.attach;
    attach.querySelector(".visually-hidden").textContent = ui.attach;
    log.setAttribute("aria-label", ui.log);
    document.getElementById("commands").setAttribute("aria-label", ui.commands);
  }

  async function load() {
    const session = await call("/web/api/session", {});
    if (!session) return;
    csrf = session.csrf;
    personaBox.hidden = !session.demo;
    personaSelect.value = session.persona;
    showCommands(session.commands);
    if (session.ui) applyUi(session.lang, session.ui);
    log.replaceChildren(); seen.clear(); lastId = 0;
    const history = await call("/web/api/messages?after=0", {});
    if (!history) return;
    history.messages.forEach(render);
    listen();
    if (!history.messages.length) await post({ kind: "text", text: "/start" });
    document.body.dataset.ready = session.persona;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = textBox.value.trim();
    if (!text) return;
    textBox.value = "";
    await post({ kind: "text", text });
    textBox.focus();
  });
  textBox.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  photoInput.addEventListener("change", () => sendPhotos(Array.from(photoInput.files)));
  personaSelect.addEventListener("change", async () => {
    delete document.body.dataset.ready;
    const done = await call("/web/api/persona", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ persona: personaSelect.value }) });
    if (done) await load();
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) document.title = "Активный регион — сообщить о проблеме"; });
  load();
})();
