// One <script src="https://BOT-HOST/web/embed.js" defer></script> on a portal page adds the chat:
// a button in the corner that opens the chat (served by the bot) in a frame. No other host is contacted.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var base = new URL(script.src).origin;
  var open = false;
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = script.dataset.label || "Сообщить о проблеме";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;padding:12px 18px;border:0;" +
    "border-radius:24px;background:#0b5cad;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;" +
    "box-shadow:0 2px 8px rgba(0,0,0,.25)";
  var frame = document.createElement("iframe");
  frame.title = "Чат «Активный регион»";
  frame.allow = "geolocation";
  frame.style.cssText = "position:fixed;right:20px;bottom:76px;z-index:2147483000;width:min(400px,calc(100vw - 40px));" +
    "height:min(620px,calc(100vh - 100px));border:1px solid #ccd;border-radius:12px;background:#fff;display:none;" +
    "box-shadow:0 4px 16px rgba(0,0,0,.25)";
  button.addEventListener("click", function () {
    open = !open;
    if (open && !frame.src) frame.src = base + "/web/";
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
