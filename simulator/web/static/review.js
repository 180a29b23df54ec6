// The report in the browser: correct a misheard transcript; the server judges it again.
"use strict";
(() => {
  for (const button of document.querySelectorAll("button.save-fix")) {
    button.addEventListener("click", async () => {
      const box = button.closest(".fix");
      const status = box.querySelector(".fix-status");
      const text = box.querySelector("textarea").value;
      button.disabled = true;
      status.textContent = "判定し直しています…";
      try {
        const r = await fetch(button.dataset.url, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text }) });
        const body = await r.json();
        if (!r.ok) { status.textContent = body.error || "保存できませんでした"; return; }
        location.reload();
      } catch (e) {
        status.textContent = "保存できませんでした（" + e.message + "）";
      } finally {
        button.disabled = false;
      }
    });
  }
})();
