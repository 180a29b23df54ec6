// The practice page: the interviewer speaks through <audio>, the answer streams to the
// server as PCM over the WebSocket; the server's loop decides when the answer ends.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("setup");
  let ws = null, ctx = null, stream = null, node = null, source = null, finished = false, typed = false;
  let start = null;   // the start message, sent again to take over from another tab

  function show(id, on) { const el = $(id); if (el) el.hidden = !on; }
  function text(id, value) { $(id).textContent = value == null ? "" : String(value); }
  function send(obj) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj)); }
  function fail(message) { text("error", message); show("error", true); }

  // getUserMedia's errors, in words a user can act on
  function micProblem(e) {
    if (e.name === "NotAllowedError" || e.name === "SecurityError")
      return "マイクの使用が許可されていません。アドレスバーの左にあるマークからマイクを「許可」にして、「もう一度試す」を押してください。";
    if (e.name === "NotFoundError" || e.name === "OverconstrainedError")
      return "マイクが見つかりません。マイクをつないでから「もう一度試す」を押してください。";
    if (e.name === "NotReadableError")
      return "マイクをほかのアプリが使っています。そのアプリを閉じてから「もう一度試す」を押してください。";
    return "マイクを使えません（" + (e.message || e.name) + "）。「もう一度試す」を押すか、文字で入力して練習してください。";
  }
  const AUDIO = { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false };

  async function openMic() {
    // the raw signal, as the terminal records it: open from the answer's start until the next
    // question, so that a candidate who goes on after the interviewer took the turn is heard
    if (stream) return;
    stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO });
    source = ctx.createMediaStreamSource(stream);
    node = new AudioWorkletNode(ctx, "pcm-capture");
    node.port.onmessage = (e) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(e.data); };
    source.connect(node);
  }
  function closeMic() {
    if (source) source.disconnect();
    if (node) node.port.onmessage = null;
    if (stream) stream.getTracks().forEach((t) => t.stop());
    source = node = stream = null;
  }

  const sounding = new Map();   // clip → <audio> still playing, so that it can be hushed
  function play(clip) {
    const audio = new Audio("/clips/" + encodeURIComponent(clip));
    const done = () => { if (sounding.delete(clip)) send({ type: "played", clip }); };
    sounding.set(clip, audio);
    audio.onended = done;
    audio.onerror = done;
    audio.play().catch(done);
  }
  function hush(clip) {   // the candidate spoke over the interviewer: stop at once
    const audio = sounding.get(clip);
    if (audio) { audio.pause(); sounding.delete(clip); }
  }

  function reaction(r) {
    show("analysing", false);
    const card = document.createElement("article");
    card.className = "card reaction";
    const h = document.createElement("h3");
    h.textContent = r.question;
    card.appendChild(h);
    const lines = [...r.lines, ...r.advice];
    const ul = document.createElement("ul");
    for (const line of lines) { const li = document.createElement("li"); li.textContent = line; ul.appendChild(li); }
    card.appendChild(ul);
    const p = document.createElement("p");
    p.className = "transcript note";
    p.textContent = r.transcript;
    card.appendChild(p);
    $("reactions").prepend(card);
  }

  function ended(title, message, href, label) {
    finished = true;
    if (ws) ws.close();
    closeMic();
    show("meter", false);
    text("speaking", "");
    show("live", false);
    show("busy", false);
    show("analysing", false);
    text("done-title", title);
    text("done-text", message);
    $("report-link").href = href;
    text("report-link", label);
    show("done", true);
    window.scrollTo(0, 0);   // the way on is at the top, not below every card
    $("report-link").focus();
  }

  const handlers = {
    busy: () => { show("live", false); show("busy", true); },
    saving: () => { show("busy", false); show("live", true); text("step", "前の練習を保存しています…"); },
    planned: (m) => {
      show("busy", false); show("live", true);
      text("step", `質問 ${m.questions.length} 問` + (m.notice ? `。${m.notice}` : ""));
    },
    asking: (m) => {
      closeMic();
      text("step", m.followup ? `深掘り（質問 ${m.n} について）` : `質問 ${m.n}/${m.total}`);
      text("question", m.text);
      text("reason", m.reason ? "深掘りの理由: " + m.reason : "");
      show("novoice", false);
    },
    speak: (m) => play(m.clip),
    hush: (m) => hush(m.clip),
    recording: async (m) => {
      if (typed) {   // the answer is typed: the text box instead of the microphone
        $("typed-text").value = "";
        text("typed-count", 0);
        show("typing", true);
        $("typed-text").focus();
        return;
      }
      text("target", Math.round(m.target_s));
      text("elapsed", 0);
      try { await openMic(); } catch (e) {
        text("mic-text", micProblem(e));
        show("mic-typed", false);   // this interview is spoken: the retry is the way on
        show("mic-problem", true);
        return;
      }
      show("meter", true);   // the cue to speak comes once the microphone really records
    },
    level: (m) => {
      text("elapsed", Math.floor(m.t));
      $("level").style.width = Math.min(100, Math.max(0, (20 * Math.log10(m.rms + 1e-6) + 60) * 2)) + "%";
      text("speaking", m.speaking ? "● 話しています" : "");
    },
    recorded: () => {
      show("meter", false);
      show("typing", false);
      text("speaking", "");
      show("analysing", true);
    },
    resumed: () => {   // the candidate went on: the interviewer stopped and listens again
      show("analysing", false);
      show("meter", true);
    },
    reaction: (m) => reaction(m),
    no_voice: (m) => {
      closeMic();
      show("analysing", false);
      text("novoice-text", m.no_input ? "マイクから音が届いていません。マイクの接続と許可を確かめてください。"
                                      : "声が小さすぎて聞き取れませんでした。マイクに近づいて話してください。");
      show("novoice", true);
    },
    taken: () => ended("別のタブで続けています", "この画面での練習は、ここまでの回答を保存して終えました。", "/sessions", "記録を見る"),
    done: (m) => ended("お疲れさまでした",
                       m.interrupted ? "途中で終了しました。ここまでの回答は分析して保存しました。" : "すべての質問が終わりました。",
                       m.report, "結果を見る"),
    error: (m) => { show("analysing", false); fail(m.message); },
  };

  function connect() {
    ws = new WebSocket(`ws://${location.host}/ws/practice`);
    ws.onopen = () => { send(start); show("setup", false); show("resume", false); show("live", true); };
    ws.onmessage = (ev) => { const m = JSON.parse(ev.data); (handlers[m.type] || (() => {}))(m); };
    ws.onclose = () => {
      if (!finished) ended("接続が切れました", "ここまでの回答は保存しました。この画面を開き直すと、続きから再開できます。", "/", "続きから再開");
    };
  }

  // Everything that can fail on this side is checked before the server plans a session,
  // so a refused microphone leaves no empty session behind.
  async function begin(message) {
    show("error", false);
    show("mic-problem", false);
    typed = message.typed;
    if (!typed) {
      try {
        const probe = await navigator.mediaDevices.getUserMedia({ audio: AUDIO });
        probe.getTracks().forEach((t) => t.stop());
      } catch (e) {
        text("mic-text", micProblem(e));
        show("mic-problem", true);
        return;
      }
      ctx = ctx || new AudioContext();
      await ctx.audioWorklet.addModule("/static/worklet.js");
      message.rate = ctx.sampleRate;
    }
    start = message;
    connect();
  }

  function fromForm() {
    const data = new FormData(form);
    const ids = data.get("ids");
    return { type: "start", typed: data.get("mode") === "typed", track: data.get("track") || "shinsotsu",
             questions: Number(data.get("questions") || 1), ids: ids ? [ids] : null,
             followups: Boolean(data.get("followups")), company: data.get("company") || null };
  }

  form.addEventListener("submit", (e) => { e.preventDefault(); begin(fromForm()); });
  if ($("resume")) {   // an interview left half-way (a reload, a closed tab) is offered to go on with
    fetch("/resumable" + (new URLSearchParams(location.search).get("resume") ? "?session="
          + encodeURIComponent(new URLSearchParams(location.search).get("resume")) : "")).then((r) => r.json()).then((r) => {
      if (!r || start) return;
      if (r.busy) { show("busy", true); return; }
      text("resume-text", `${r.when} の練習${r.company ? `（${r.company} 向け）` : ""}は途中で終わっています。`
                          + `回答 ${r.answered} 件は保存済みで、残りは ${r.left} 問です。`);
      $("resume-report").href = `/sessions/${r.id}/`;
      $("resume-start").onclick = () => begin({ ...fromForm(), followups: true, resume: r.id });
      show("resume", true);
    }).catch(() => {});
  }
  $("takeover").addEventListener("click", () => {
    show("busy", false);
    if (ws && ws.readyState === WebSocket.OPEN) send({ ...start, takeover: true });
    else begin({ ...fromForm(), takeover: true });   // told on opening the page, before any start
  });
  $("mic-retry").addEventListener("click", () => {
    show("mic-problem", false);
    if (ws && ws.readyState === WebSocket.OPEN) handlers.recording({ target_s: Number($("target").textContent) || 60 });
    else begin(start || fromForm());
  });
  $("mic-typed").addEventListener("click", () => {
    form.querySelector("input[name=mode][value=typed]").checked = true;
    begin({ ...(start || fromForm()), typed: true });
  });
  $("stop").addEventListener("click", () => send({ type: "stop" }));
  $("typed-text").addEventListener("input", () => text("typed-count", $("typed-text").value.replace(/\s/g, "").length));
  $("typing").addEventListener("submit", (e) => {
    e.preventDefault();
    const answer = $("typed-text").value.trim();
    if (!answer) return;
    show("typing", false);
    send({ type: "typed", text: answer });
  });
  $("quit").addEventListener("click", () => { text("step", "終了しています…"); send({ type: "quit" }); });
  for (const b of document.querySelectorAll("#novoice button")) {
    b.addEventListener("click", () => { show("novoice", false); send({ type: "choice", value: b.dataset.choice }); });
  }
})();
