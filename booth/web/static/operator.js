/* The operator's live dashboard: scores, timings, camera, GPIO pulses; fire, start and stop buttons. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const root = $("operator");
  Booth.preview($("op-preview"), Number(root.dataset.recycle || 300));

  function facts(el, pairs) {
    el.replaceChildren();
    pairs.forEach(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v === null || v === undefined || v === "" ? "—" : String(v);
      el.append(dt, dd);
    });
  }

  const num = (x, d = 2) => (typeof x === "number" ? x.toFixed(d) : "—");

  function renderScores(status) {
    const box = $("op-scores");
    const looks = status.face && status.face.looks;
    box.replaceChildren();
    if (!looks) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No face.";
      box.append(p);
      return;
    }
    Object.entries(looks).forEach(([name, score]) => {
      const row = document.createElement("div");
      // A look on trial under "Teach a look" is scored as "NAME (preview)": marked, not a target.
      const preview = name.endsWith(" (preview)");
      row.className = "score" + (name === status.target_look ? " target" : "") + (preview ? " trial" : "");
      row.dataset.look = name;
      const label = document.createElement("span");
      label.textContent = preview ? name.slice(0, -" (preview)".length) : name;
      if (preview) {
        const tag = document.createElement("span");
        tag.className = "tag trial";
        tag.textContent = "preview";
        label.append(" ", tag);
      }
      const bar = document.createElement("span");
      bar.className = "bar";
      const fill = document.createElement("i");
      fill.style.width = Booth.pct(score) + "%";
      bar.append(fill);
      const value = document.createElement("span");
      value.className = "num";
      value.textContent = num(score);
      row.append(label, bar, value);
      box.append(row);
    });
  }

  function render(status) {
    document.dispatchEvent(new CustomEvent("booth-status", { detail: status }));  // teach.js's live score
    $("op-state").textContent = status.state;
    $("op-target").textContent = status.target_look || "—";
    const t = status.trigger;
    $("op-trigger").textContent = t ? `${t.state} · ${num(t.score)} / ${num(t.threshold)} · hold ${Booth.pct(t.progress)}%` +
      (t.reason ? ` · ${t.reason}` : "") : "—";
    const face = status.face;
    // The angles the verdict judged (degrees off the lens, the sitter's own when calibrated): what the
    // "Gaze" tolerances under Settings are compared with.
    const judged = face && face.judged_gaze ?
      ` · ${face.judged_gaze.x.toFixed(1)}°, ${face.judged_gaze.y.toFixed(1)}° · ${face.calibrated ? "calibrated" : "population model"}` : "";
    $("op-gaze").textContent = !face ? "no face" : face.dead_gaze ? "dead gaze" :
      (face.verdict && face.verdict.engaged ? "engaged" : "not engaged: " + ((face.verdict && face.verdict.reasons) || []).join(", ")) + judged;
    $("op-shots").textContent = status.shots_taken;
    $("op-pulses-count").textContent = status.shutter_pulses;
    $("op-fps").textContent = typeof status.analysis_fps === "number" ? status.analysis_fps.toFixed(1) + " fps" : "—";
    renderScores(status);
    const timings = face && face.timings_ms;
    $("op-timings").textContent = timings ? Object.entries(timings).map(([k, v]) => `${k} ${num(v, 1)}`).join(" · ") : "—";
    const cam = status.camera || {};
    facts($("op-camera"), [["Kind", cam.kind], ["Running", cam.running ? "yes" : "no"], ["Frames", cam.frames],
      ["fps", num(cam.fps, 1)], ["Fault", cam.fault || "none"]]);
    const gpio = status.gpio || {};
    facts($("op-gpio"), [["Pins", gpio.factory + (gpio.is_mock ? " (MOCK: nothing wired)" : "")], ["Board", gpio.board],
      ["Shots", gpio.shots], ["Light", gpio.light]]);
    const list = $("op-pulse-list");
    const pulses = (gpio.pulses || []).slice(-12).reverse();
    list.replaceChildren(...pulses.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.line} ${num(p.duration_ms, 0)} ms`;
      return li;
    }));
    const st = status.storage;
    if (st) {
      const rows = [["Free", Math.round((st.free_bytes || 0) / 1048576) + " MB"]];
      if (st.sessions !== undefined) rows.push(["Sessions", st.sessions]);
      rows.push(["Retention", st.retention_days ? st.retention_days + " days" : "kept forever"]);
      facts($("op-storage"), rows);
    }
  }

  function act(url) {
    $("op-message").textContent = "";
    return Booth.post(url).then(render).catch((err) => { $("op-message").textContent = err.message; });
  }

  $("fire-btn").addEventListener("click", () => act("/api/fire"));
  $("op-start").addEventListener("click", () => act("/api/session/start"));
  $("op-cancel").addEventListener("click", () => act("/api/session/cancel"));
  document.querySelectorAll("form.confirm").forEach((form) => {
    form.addEventListener("submit", (e) => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
  });

  Booth.events({ status: render, fire: () => {}, shot: () => {}, session: () => {} });
})();
