// Forms and buttons that save or delete through the server: the fields go as JSON
// (text areas marked data-lines as a list, one item a line); the server answers
// {"error": …} with a message for the user, or ok, and the page moves on.
"use strict";
(() => {
  async function post(url, body, status, next) {
    if (status) status.textContent = "保存しています…";
    try {
      const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                   body: JSON.stringify(body) });
      const answer = await r.json().catch(() => ({}));
      if (!r.ok) { if (status) status.textContent = answer.error || "保存できませんでした"; return; }
      location.href = answer.next || next || location.pathname;
    } catch (e) {
      if (status) status.textContent = "保存できませんでした（" + e.message + "）";
    }
  }
  for (const form of document.querySelectorAll("form[data-post]")) {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = {};
      for (const el of form.elements) {
        if (!el.name) continue;
        body[el.name] = el.hasAttribute("data-lines") ? el.value.split("\n").map((s) => s.trim()).filter(Boolean) : el.value;
      }
      post(form.dataset.post, body, form.querySelector(".form-status"), form.dataset.next);
    });
  }
  for (const button of document.querySelectorAll("button[data-post]")) {
    button.addEventListener("click", () => {
      if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
      const box = button.closest("form, li, article, tr");
      post(button.dataset.post, {}, box && box.querySelector(".form-status"), button.dataset.next);
    });
  }
})();
