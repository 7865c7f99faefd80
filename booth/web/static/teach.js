/* "Teach a look" on the operator page: record takes of the look held and not held (a countdown and frame
   counts while one records), learn, watch the preview's live score on the sitter, then save, discard or
   undo. Every change is a CSRF-carrying POST to /api/teach/...; the answer is the desk's whole state. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  if (!$("teach")) return;
  let state = null;
  let polling = null;
  let busy = false;

  async function get(url) {
    const res = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = await res.json();
    if (!res.ok) throw new Error((data && data.error) || res.status + " " + res.statusText);
    return data;
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const frames = (n) => plural(n, "frame");
  const say = (text, error) => {
    const el = $("teach-message");
    el.textContent = text || "";
    el.classList.toggle("error", Boolean(error));
  };

  function render(s) {
    state = s;
    const rec = s.recording;
    const takes = s.takes;
    $("teach-state").textContent = rec ? "recording" : s.preview ? "preview" : takes.length ? plural(takes.length, "take") : "no takes";
    const count = (kind) => takes.filter((t) => t.kind === kind).length;
    $("teach-holding").textContent = frames(s.holding_frames) + " · " + plural(count("holding"), "take");
    $("teach-notholding").textContent = frames(s.not_frames) + " · " + plural(count("not"), "take");
    $("teach-missed").textContent = frames(s.missed);
    $("teach-countdown").textContent = rec
      ? `Recording ${rec.kind === "holding" ? "holding" : "not holding"}… ${rec.left.toFixed(1)} s left · ${frames(rec.frames)}` +
        (rec.missed ? ` · ${rec.missed} without a face` : "")
      : "";
    $("teach-countdown").classList.toggle("on", Boolean(rec));
    ["teach-hold", "teach-not", "teach-learn"].forEach((id) => { $(id).disabled = busy || Boolean(rec); });
    $("teach-file").textContent = s.looks_file || "a new looks.toml beside the photos";
    if (s.message) say(s.message);
    const p = s.preview;
    $("teach-preview").hidden = !p;
    if (p) {
      $("teach-preview-name").textContent = p.name + (p.from === "marked photos" ? " (refit from marked photos)" : "");
      $("teach-summary").textContent = p.summary + (p.replaces ? ` · saving replaces ${p.replaces} "${p.name}"` : "");
      $("teach-terms").replaceChildren(...p.terms.map((t) => {
        const tr = document.createElement("tr");
        [t.signal, (t.weight > 0 ? "+" : "") + t.weight.toFixed(2), `${t.low} → ${t.high}`].forEach((v) => {
          const td = document.createElement("td");
          td.textContent = v;
          tr.append(td);
        });
        return tr;
      }));
      $("teach-gates").textContent = p.gates.length
        ? "Only when: " + p.gates.map((g) => `${g.signal} ${g.min !== null ? "≥ " + g.min : "≤ " + g.max}`).join(", ") +
          ` · bias ${p.bias}`
        : `bias ${p.bias}`;
    }
    $("teach-save").disabled = busy || !p;
    $("teach-undo-row").hidden = !s.undo;
    if (s.undo) $("teach-undo-text").textContent = `Last saved: "${s.undo.name}".`;
    if (rec && !polling) polling = setInterval(refresh, 200);
    if (!rec && polling) { clearInterval(polling); polling = null; }
  }

  function refresh() {
    return get("/api/teach").then(render).catch((err) => say(err.message, true));
  }

  function act(url, body) {
    if (busy) return Promise.resolve();  // a double click sends one request
    busy = true;
    say("");
    return Booth.post(url, body)
      .then((s) => { busy = false; render(s); })
      .catch((err) => { busy = false; say(err.message, true); if (state) render({ ...state, message: "" }); });
  }

  const name = () => $("teach-name").value.trim();
  function record(kind) {
    if (!/^[a-z][a-z0-9_-]*$/.test(name())) {
      say("Name the look first: lower-case letters, digits, _ or -, starting with a letter.", true);
      $("teach-name").focus();
      return;
    }
    act("/api/teach/record", { kind, seconds: Number($("teach-seconds").value) || 3 });
  }

  $("teach-hold").addEventListener("click", () => record("holding"));
  $("teach-not").addEventListener("click", () => record("not"));
  $("teach-learn").addEventListener("click", () => act("/api/teach/learn", { name: name() }));
  $("teach-save").addEventListener("click", () => act("/api/teach/save").then(loadRefits));
  $("teach-discard").addEventListener("click", () => act("/api/teach/discard"));
  $("teach-undo").addEventListener("click", () => act("/api/teach/undo"));

  // The preview's live score, from the same status events the dashboard draws (see operator.js).
  document.addEventListener("booth-status", (e) => {
    const p = state && state.preview;
    if (!p) return;
    const looks = e.detail.face && e.detail.face.looks;
    const score = looks ? looks[p.key] : undefined;
    $("teach-live-num").textContent = typeof score === "number" ? score.toFixed(2) : "no face";
    $("teach-live-bar").style.width = Booth.pct(score) + "%";
    $("teach-live").dataset.score = typeof score === "number" ? score.toFixed(3) : "";
  });

  function refit(look, button) {
    button.disabled = true;
    $("teach-name").value = look;
    act("/api/teach/refit", { look }).then(() => { button.disabled = false; });
  }
  function loadRefits() {
    return get("/api/marks").then((offers) => Refits.draw($("teach-refits"), offers, refit)).catch(() => {});
  }

  refresh();
  loadRefits();
})();
