/*
 * voxpop feedback widget. Paste into a page:
 *   <script src="https://YOUR-VOXPOP/static/widget.js" data-site-key="wk_…" defer></script>
 * No third-party code, no inline script or style attributes: it builds its own elements inside a shadow
 * root, styled by a constructed stylesheet, so it works under the host page's strict CSP (which must
 * allow this script's origin in script-src and connect-src) and the host's CSS cannot break it.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var siteKey = script.getAttribute("data-site-key");
  if (!siteKey) return;
  var endpoint = new URL(script.src).origin + "/w/" + encodeURIComponent(siteKey) + "/feedback";
  var label = script.getAttribute("data-label") || "Feedback";

  var CSS = [
    ":host { all: initial; }",
    ".vx { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; font: 15px/1.45 system-ui, sans-serif; color: #1f2430; }",
    ".vx-open { font: inherit; font-weight: 600; color: #fff; background: #3b5bdb; border: 0; border-radius: 999px; padding: .65rem 1.1rem; cursor: pointer; box-shadow: 0 2px 8px rgba(0,0,0,.2); }",
    ".vx-panel { width: min(22rem, calc(100vw - 2rem)); background: #fff; border: 1px solid #d8dde6; border-radius: 12px; padding: 1rem; box-shadow: 0 6px 24px rgba(0,0,0,.18); }",
    ".vx-panel[hidden], .vx-open[hidden] { display: none; }",
    ".vx-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: .5rem; }",
    ".vx-title { font-weight: 700; font-size: 1rem; margin: 0; }",
    ".vx-close { font: inherit; background: none; border: 0; font-size: 1.3rem; line-height: 1; cursor: pointer; padding: .25rem .5rem; }",
    "fieldset { border: 0; margin: 0 0 .75rem; padding: 0; }",
    "legend { font-weight: 600; margin-bottom: .35rem; }",
    ".vx-stars { display: flex; gap: .3rem; }",
    ".vx-star { position: relative; }",
    ".vx-star input { position: absolute; opacity: 0; inset: 0; margin: 0; cursor: pointer; }",
    ".vx-star span { display: inline-flex; width: 2.4rem; height: 2.4rem; align-items: center; justify-content: center; border: 1px solid #d8dde6; border-radius: 8px; }",
    ".vx-star input:checked + span { background: #3b5bdb; color: #fff; border-color: #3b5bdb; }",
    ".vx-star input:focus-visible + span, button:focus-visible, textarea:focus, input:focus { outline: 3px solid #91a7ff; outline-offset: 1px; }",
    "label.vx-field { display: grid; gap: .25rem; margin-bottom: .75rem; font-weight: 600; }",
    "textarea, input[type=email] { font: inherit; font-weight: 400; width: 100%; box-sizing: border-box; padding: .5rem; border: 1px solid #d8dde6; border-radius: 8px; }",
    ".vx-hp { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }",
    ".vx-send { font: inherit; font-weight: 600; color: #fff; background: #3b5bdb; border: 0; border-radius: 8px; padding: .6rem 1.2rem; cursor: pointer; }",
    ".vx-send:disabled { opacity: .6; cursor: wait; }",
    ".vx-status { min-height: 1.3em; margin: .5rem 0 0; }",
    ".vx-status.bad { color: #c92a2a; }"
  ].join("\n");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function build() {
    var host = el("div", { "data-voxpop-widget": "" });
    var root = host.attachShadow({ mode: "open" });
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    }
    var uid = "vx" + Math.random().toString(36).slice(2, 8);
    var open = el("button", { type: "button", "class": "vx-open", "aria-haspopup": "dialog", "aria-expanded": "false", text: label });
    var stars = el("div", { "class": "vx-stars" });
    for (var i = 1; i <= 5; i++) {
      stars.appendChild(el("label", { "class": "vx-star" }, [
        el("input", { type: "radio", name: "rating", value: String(i), "aria-label": i + " of 5" }),
        el("span", { "aria-hidden": "true", text: String(i) })
      ]));
    }
    var text = el("textarea", { name: "text", rows: "4", maxlength: "4000" });
    var email = el("input", { type: "email", name: "email", autocomplete: "email", maxlength: "320" });
    var trap = el("input", { type: "text", name: "website", tabindex: "-1", autocomplete: "off" });
    var status = el("p", { "class": "vx-status", role: "status", "aria-live": "polite" });
    var send = el("button", { type: "submit", "class": "vx-send", text: "Send" });
    var close = el("button", { type: "button", "class": "vx-close", "aria-label": "Close", text: "×" });
    var form = el("form", { novalidate: "" }, [
      el("fieldset", {}, [el("legend", { text: "How would you rate this page?" }), stars]),
      el("label", { "class": "vx-field" }, [document.createTextNode("Your feedback"), text]),
      el("label", { "class": "vx-field" }, [document.createTextNode("E-mail (optional, if you want an answer)"), email]),
      el("div", { "class": "vx-hp", "aria-hidden": "true" }, [el("label", {}, [document.createTextNode("Leave empty"), trap])]),
      send,
      status
    ]);
    var panel = el("div", { "class": "vx-panel", role: "dialog", "aria-labelledby": uid + "-t", hidden: "" }, [
      el("div", { "class": "vx-head" }, [el("p", { "class": "vx-title", id: uid + "-t", text: "Tell us what you think" }), close]),
      form
    ]);
    root.appendChild(el("div", { "class": "vx" }, [open, panel]));
    document.body.appendChild(host);

    function show(visible) {
      panel.hidden = !visible;
      open.hidden = visible;
      open.setAttribute("aria-expanded", String(visible));
      if (visible) stars.querySelector("input").focus();
      else open.focus();
    }
    open.addEventListener("click", function () { show(true); });
    close.addEventListener("click", function () { show(false); });
    panel.addEventListener("keydown", function (event) { if (event.key === "Escape") show(false); });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = form.querySelector("input[name=rating]:checked");
      var body = {
        rating: chosen ? Number(chosen.value) : null,
        text: text.value,
        email: email.value,
        website: trap.value,
        page_url: window.location.href
      };
      if (!body.text.trim() && body.rating === null) {
        status.className = "vx-status bad";
        status.textContent = "Please choose a rating or write a message.";
        return;
      }
      send.disabled = true;
      status.className = "vx-status";
      status.textContent = "Sending…";
      fetch(endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body)
      }).then(function (response) {
        if (response.ok) {
          form.reset();
          status.textContent = "Thank you! Your feedback was sent.";
        } else if (response.status === 429) {
          status.className = "vx-status bad";
          status.textContent = "Too many messages from here: please try again in a few minutes.";
        } else {
          status.className = "vx-status bad";
          status.textContent = "Sorry, your feedback could not be sent (" + response.status + ").";
        }
      }).catch(function () {
        status.className = "vx-status bad";
        status.textContent = "Sorry, your feedback could not be sent.";
      }).then(function () { send.disabled = false; });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build);
  else build();
})();
