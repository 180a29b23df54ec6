// The practice page: the interviewer speaks through <audio>, the answer streams to the
// server as PCM over the WebSocket; the server's loop decides when the answer ends.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const form = $("setup");
  let ws = null, ctx = null, stream = null, node = null, source = null, finished = false, typed = false;

  function show(id, on) { $(id).hidden = !on; }
  function text(id, value) { $(id).textContent = value == null ? "" : String(value); }
  function send(obj) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj)); }
  function fail(message) { text("error", message); show("error", true); }

  async function openMic() {
    stream = await navigator.mediaDevices.getUserMedia({
      // the raw signal, as the terminal records it: the mic is open only while the interviewer is silent
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
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

  function play(clip) {
    const audio = new Audio("/clips/" + encodeURIComponent(clip));
    const done = () => send({ type: "played", clip });
    audio.onended = done;
    audio.onerror = done;
    audio.play().catch(done);
  }

  function reaction(r) {
    const card = document.createElement("article");
    card.className = "card reaction";
    const h = document.createElement("h3");
    h.textContent = $("question").textContent;
    card.appendChild(h);
    const spoken = r.speech_s != null;   // a typed answer has no delivery to show
    const lines = [
      ...(spoken ? [`${r.speech_s} 秒（目安 ${r.target_s} 秒）・フィラー ${r.fillers.length} 回・${r.mora_per_min} モーラ/分（${r.pace}）`] : []),
      ...(spoken && r.voice ? ["声: " + r.voice] : []),
      ...(r.issues.length ? ["指摘: " + r.issues.join("、")] : []),
      ...r.advice.slice(0, 2),
    ];
    const ul = document.createElement("ul");
    for (const line of lines) { const li = document.createElement("li"); li.textContent = line; ul.appendChild(li); }
    card.appendChild(ul);
    const p = document.createElement("p");
    p.className = "transcript note";
    p.textContent = r.transcript;
    card.appendChild(p);
    $("reactions").prepend(card);
  }

  const handlers = {
    planned: (m) => text("step", `質問 ${m.questions.length} 問`),
    asking: (m) => {
      text("step", m.followup ? `深掘り（質問 ${m.n} について）` : `質問 ${m.n}/${m.total}`);
      text("question", m.text);
      text("reason", m.reason ? "深掘りの理由: " + m.reason : "");
      show("novoice", false);
    },
    speak: (m) => play(m.clip),
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
      try { await openMic(); } catch (e) { fail("マイクを使えません（" + e.message + "）。ブラウザの設定でマイクを許可してください"); return; }
      show("meter", true);   // the cue to speak comes once the microphone really records
    },
    level: (m) => {
      text("elapsed", Math.floor(m.t));
      $("level").style.width = Math.min(100, Math.max(0, (20 * Math.log10(m.rms + 1e-6) + 60) * 2)) + "%";
      text("speaking", m.speaking ? "● 話しています" : "");
    },
    recorded: () => { closeMic(); show("meter", false); show("typing", false); },
    reaction: (m) => reaction(m),
    no_voice: (m) => {
      text("novoice-text", m.no_input ? "マイクから音が届いていません。マイクの接続と許可を確かめてください。"
                                      : "声が小さすぎて聞き取れませんでした。マイクに近づいて話してください。");
      show("novoice", true);
    },
    done: (m) => {
      finished = true;
      closeMic();
      show("live", false);
      text("done-text", m.interrupted ? "途中で終了しました。ここまでの回答は保存しました。" : "すべての質問が終わりました。");
      $("report-link").href = m.report;
      show("done", true);
    },
    error: (m) => fail(m.message),
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    show("error", false);
    const data = new FormData(form);
    typed = data.get("mode") === "typed";
    if (!typed) {
      ctx = new AudioContext();
      await ctx.audioWorklet.addModule("/static/worklet.js");
    }
    ws = new WebSocket(`ws://${location.host}/ws/practice`);
    ws.onopen = () => {
      const ids = data.get("ids");
      send({ type: "start", typed, rate: typed ? null : ctx.sampleRate, track: data.get("track") || "shinsotsu",
             questions: Number(data.get("questions") || 1), ids: ids ? [ids] : null,
             followups: Boolean(data.get("followups")), company: data.get("company") || null });
      show("setup", false);
      show("live", true);
    };
    ws.onmessage = (ev) => { const m = JSON.parse(ev.data); (handlers[m.type] || (() => {}))(m); };
    ws.onclose = (ev) => {
      closeMic();
      if (!finished) fail(`サーバーとの接続が切れました（${ev.code}）。ここまでの回答は保存されています。`);
    };
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
  $("quit").addEventListener("click", () => send({ type: "quit" }));
  for (const b of document.querySelectorAll("#novoice button")) {
    b.addEventListener("click", () => { show("novoice", false); send({ type: "choice", value: b.dataset.choice }); });
  }
})();
