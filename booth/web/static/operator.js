/* The operator's live dashboard: the session and the trigger in words, scores, timings, camera, the shutter's
   count and its recent fires; only the buttons (start, stop, fire) that the booth's state allows. */
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

  // --- words an operator reads: the status JSON speaks in identifiers ---------------------------------

  /** An identifier as words ("warm_smile" -> "warm smile"): no snake_case ever reaches the page. */
  const words = (x) => String(x === null || x === undefined ? "" : x).replace(/([A-Za-z0-9])_(?=[A-Za-z0-9])/g, "$1 ");
  const sentence = (x) => { const s = words(x).trim(); return s ? s[0].toUpperCase() + s.slice(1) : ""; };
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many || one + "s"}`;

  /** The booth's states that end (or have not begun) a session: Start is offered, no look is targeted. */
  const AT_REST = new Set(["idle", "delivered", "expired", "aborted"]);
  const STATE_LABELS = {
    idle: "Idle", welcome: "Consent", baseline: "Rest face", shooting: "Shooting", review: "Review",
    delivered: "Delivered", expired: "Expired", aborted: "Stopped", fault: "Paused",
  };
  /** What the trigger does outside the shooting state (it reads every frame, but fires only then). */
  const NOT_SHOOTING = {
    idle: "Not shooting: no session",
    welcome: "Not shooting yet: waiting for consent",
    baseline: "Not shooting yet: reading the rest face",
    review: "Done shooting: the sitter reviews the photos",
    delivered: "Not shooting: the session ended",
    expired: "Not shooting: the session ended",
    aborted: "Not shooting: the session was stopped",
  };

  /** The gaze verdict's terse reasons that need a word more for someone who has not read the code. */
  const REASONS = { settling: "settling: eyes just came to the lens, holding a moment" };
  const reason = (r) => REASONS[r] || r;

  /** One sentence for the trigger's decision (policy.py's Decision.to_json), no identifier in it. */
  const triggerText = (status) => words(triggerSentence(status));

  function triggerSentence(status) {
    if (status.state === "fault") return "Paused: " + (status.fault || "a fault");
    if (status.state !== "shooting") return NOT_SHOOTING[status.state] || "Not shooting";
    const t = status.trigger;
    if (!t) return "Waiting for the first frame";
    const look = words(t.look || status.target_look || "the look");
    const of = `${num(t.score)} of ${num(t.threshold)}`;
    const looks = status.face && status.face.looks;
    switch (t.state) {
      case "no_face": return sentence(t.reason || "no face in view");
      case "multiple_faces": return sentence(t.reason || "several faces: one person at a time");
      case "not_engaged": return sentence(reason(t.reason) || "not looking into the lens");  // "Eyes closed"
      case "dead_gaze": return "Blank stare: relax and think of someone";
      case "not_the_look":
        return looks && !(t.look in looks) ? `${sentence(look)} is not scored` : `Waiting for ${look}: ${of}`;
      case "almost":
        return t.progress > 0 ? `Holding ${look}: ${Booth.pct(t.progress)}%` : `Almost ${look}: ${of}`;
      case "firing": return t.manual ? "Fired by hand" : `Fired on ${look} (${num(t.score)})`;
      case "cooldown": return "Fired; " + (t.reason || "the next shot comes soon");
      default: return sentence(t.state) + (t.reason ? ": " + t.reason : "");
    }
  }

  /** Which session is on, in words; idle names no look (there is none to wait for). */
  function sessionText(status) {
    const s = status.session || {};
    switch (status.state) {
      case "idle": return "No session";
      case "welcome": return "Waiting for the sitter's consent";
      case "baseline": {
        const waiting = s.baseline && s.baseline.waiting_for;
        return "Reading the sitter's rest face" + (waiting ? `: ${waiting}` : "");
      }
      case "shooting": {
        const looks = s.looks || [];
        const at = typeof s.look_index === "number" && looks.length ? ` (look ${s.look_index + 1} of ${looks.length})` : "";
        const left = typeof s.look_seconds_left === "number" ? `, ${Math.ceil(s.look_seconds_left)} s left` : "";
        return sentence(status.target_look || "") + at + left;
      }
      case "review": return "All looks done: the sitter reviews the photos";
      case "delivered": return "No session (the last one was delivered)";
      case "expired": return "No session (the last sitter walked away)";
      case "aborted": return "No session (the last one was stopped)";
      case "fault": return "Paused: " + (status.fault || "a fault");
      default: return sentence(status.state);
    }
  }

  /** What Start would run: the shot list's looks (from the page) and its size (live, plan_summary). */
  function planText(status) {
    const el = $("op-plan");
    const names = (el.dataset.looks || "").split(",").filter(Boolean).map(words);
    const sum = status.plan_summary;
    if (!sum) return null;  // an older booth: keep the server's text
    const size = `${plural(sum.looks, "look")}, ${Math.round(sum.seconds)} s`;
    // Settings saved elsewhere may change the list under this page: then only its size is known.
    return names.length === sum.looks ? `${el.dataset.shotList}: ${names.join(", ")} (${size})` : size;
  }

  /** The reconciliation of the GPIO count with the photos: every fire ends kept or discarded. */
  function renderShutter(status) {
    const sh = status.shutter;
    const since = `${status.shutter_pulses} since the booth started`;
    const discards = $("op-discards");
    discards.replaceChildren();
    if (!sh) {
      $("op-fires").textContent = "—";
      $("op-pulses-count").textContent = since;
      return;
    }
    const held = sh.held_back ? ` · ${plural(sh.held_back, "pose")} not fired (would repeat a kept photo)` : "";
    $("op-fires").textContent = (sh.fires ?
      `Fired ${plural(sh.fires, "time")} this session: ${sh.kept} kept, ${sh.discarded} discarded` :
      "Not fired this session") + held;
    $("op-pulses-count").textContent = `${sh.pulses} this session (${status.shutter_pulses} since start)`;
    (sh.discards || []).forEach((d) => {
      const li = document.createElement("li");
      li.textContent = `${sentence(d.look)}: ${words(d.reason)}`;
      discards.append(li);
    });
  }

  /** How many fires the pulse log shows: whole fires (focus and its shutter pulses), never cut. */
  const SHOWN_FIRES = 6;
  const clock = (epoch) => new Date(epoch * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });

  function renderFires(pulses) {
    const groups = new Map();  // fire number -> its pulses, in the log's order (oldest fire first)
    pulses.forEach((p) => {
      const key = p.fire || `t${p.started}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(p);
    });
    const fires = [...groups.values()].slice(-SHOWN_FIRES).reverse();
    const list = $("op-pulse-list");
    if (!fires.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = "None yet.";
      list.replaceChildren(li);
      return;
    }
    list.replaceChildren(...fires.map((group) => {
      group.sort((a, b) => a.started - b.started);  // focus goes active first but is logged last
      const li = document.createElement("li");
      li.className = "fire";
      li.dataset.fire = group[0].fire || "";
      const first = group[0];
      const when = document.createElement("time");
      if (first.at) {
        when.dateTime = new Date(first.at * 1000).toISOString();
        when.textContent = clock(first.at);
      } else {
        when.textContent = "—";
      }
      const lines = document.createElement("span");
      lines.className = "pulses-of";
      group.forEach((p) => {
        const span = document.createElement("span");
        span.className = "pulse";
        span.dataset.line = p.line;
        span.textContent = `${p.line} ${num(p.duration_ms, 0)} ms`;
        lines.append(span);
      });
      li.append(when, lines);
      return li;
    }));
  }

  /** "Paused by the operator", "Paused: lunch break": the reason, said once. */
  const pausedText = (why) => (/^paused\b/i.test(why) ? sentence(why) : `Paused: ${why}`);

  /** Paused (status.paused: why): Resume instead of Pause, and no Start (the booth would refuse it). */
  function renderPaused(status) {
    if (!("paused" in status)) return;  // an older booth: keep the server's forms
    const paused = typeof status.paused === "string" && status.paused ? status.paused : null;
    $("pause-form").hidden = Boolean(paused);
    $("resume-form").hidden = !paused;
    $("op-paused").textContent = paused ? pausedText(paused) : "";
    if (paused) $("op-start").hidden = true;
  }

  /** The upload queue's counts and the bucket's connection, live (the lists come with the page). */
  function renderDelivery(status) {
    const d = status.delivery;
    if (!d || !d.enabled) return;
    [["op-pending", d.pending], ["op-failing", d.failing], ["op-done", d.done]].forEach(([id, n]) => {
      if ($(id) && typeof n === "number") $(id).textContent = String(n);
    });
    const bucket = $("op-bucket");
    if (bucket && "error" in d) {
      bucket.textContent = d.error || "working";
      bucket.dataset.ok = String(!d.error);
    }
  }

  /** The analysis falling short of the camera (status.analysis_warning, booth/service/pace.py): the
   * banner above the dashboard, shown while the booth says so and gone when it keeps up again. */
  function renderPace(status) {
    if (!("analysis_warning" in status)) return;  // an older booth: keep the server's banner
    const warning = typeof status.analysis_warning === "string" ? status.analysis_warning : "";
    $("pace-warning").hidden = !warning;
    // Its words as the booth wrote them (a command and a setting's name are in it: no words() here).
    $("pace-text").textContent = warning ? warning[0].toUpperCase() + warning.slice(1) + "." : "";
  }

  /** Only the actions that make sense now: Start at rest, Stop while a session runs, Fire while shooting. */
  function renderActions(state) {
    $("op-start").hidden = !AT_REST.has(state);
    $("op-cancel").hidden = AT_REST.has(state);
    $("fire-btn").hidden = state !== "shooting";
  }

  /** The analysed rate; in standby (booth/service/standby.py: nobody in view between sessions) few frames
   *  are analysed on purpose, and the line says so, so the low rate reads as no fault. */
  function analysisText(status) {
    if (typeof status.analysis_fps !== "number") return "—";
    return status.analysis_fps.toFixed(1) + " fps" + (status.analysis_standby ? " · standby: nobody in view" : "");
  }

  function render(status) {
    document.dispatchEvent(new CustomEvent("booth-status", { detail: status }));  // teach.js's live score
    const pill = $("op-state");
    pill.textContent = STATE_LABELS[status.state] || sentence(status.state);
    pill.dataset.state = status.state;
    renderActions(status.state);
    renderPaused(status);
    renderDelivery(status);
    renderPace(status);
    $("op-target").textContent = sessionText(status);
    const atRest = AT_REST.has(status.state);
    $("op-plan").hidden = $("op-plan-label").hidden = !atRest;
    const plan = planText(status);
    if (plan !== null) $("op-plan").textContent = plan;
    $("op-trigger").textContent = triggerText(status);
    const face = status.face;
    // The angles the verdict judged (degrees off the lens, the sitter's own when calibrated): what the
    // "Gaze" tolerances under Settings are compared with.
    const judged = face && face.judged_gaze ?
      ` · ${face.judged_gaze.x.toFixed(1)}°, ${face.judged_gaze.y.toFixed(1)}° · ${face.calibrated ? "calibrated" : "population model"}` : "";
    $("op-gaze").textContent = !face ? "no face" : face.dead_gaze ? "dead gaze" :
      (face.verdict && face.verdict.engaged ? "engaged" : "not engaged: " + ((face.verdict && face.verdict.reasons) || []).map(reason).join(", ")) + judged;
    $("op-shots").textContent = status.shots_taken;
    renderShutter(status);
    $("op-fps").textContent = analysisText(status);
    renderScores(status);
    const timings = face && face.timings_ms;
    $("op-timings").textContent = timings ? Object.entries(timings).map(([k, v]) => `${k} ${num(v, 1)}`).join(" · ") : "—";
    // Where the booth's CPU goes (what `make bench` measures): on a Pi 4 the total must stay well under
    // 4 cores x 33 ms per frame for the page and the camera to keep up.
    const cpu = status.cpu_ms_per_frame;
    $("op-cpu").textContent = cpu ? Object.entries(cpu).map(([k, v]) => `${k} ${num(v, 1)}`).join(" · ") : "—";
    const cam = status.camera || {};
    facts($("op-camera"), [["Kind", cam.kind], ["Running", cam.running ? "yes" : "no"], ["Frames", cam.frames],
      ["fps", num(cam.fps, 1)], ["Fault", cam.fault || "none"]]);
    const gpio = status.gpio || {};
    facts($("op-gpio"), [["Pins", gpio.factory + (gpio.is_mock ? " (MOCK: nothing wired)" : "")], ["Board", gpio.board],
      ["Light", gpio.light]]);
    renderFires(gpio.pulses || []);
    const st = status.storage;
    if (st) {
      const rows = [["Free", Math.round((st.free_bytes || 0) / 1048576) + " MB"]];
      if (st.sessions !== undefined) rows.push(["Sessions", st.sessions]);
      rows.push(["Retention", st.retention_days ? st.retention_days + " days" : "kept forever"]);
      facts($("op-storage"), rows);
    }
  }

  /** One of the buttons' POSTs; the button waits for the answer, so a double click is one action. */
  function act(button, url) {
    $("op-message").textContent = "";
    button.disabled = true;
    return Booth.post(url).then(render)
      .catch((err) => { $("op-message").textContent = err.message; })
      .finally(() => { button.disabled = false; });
  }

  [["fire-btn", "/api/fire"], ["op-start", "/api/session/start"], ["op-cancel", "/api/session/cancel"]]
    .forEach(([id, url]) => $(id).addEventListener("click", (e) => act(e.currentTarget, url)));
  document.querySelectorAll("form.confirm").forEach((form) => {
    form.addEventListener("submit", (e) => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
  });

  Booth.events({ status: render, fire: () => {}, shot: () => {}, session: () => {} });
  // The wording, for the browser test to feed every trigger state the policy has (and one it has not).
  window.OperatorText = { triggerText, sessionText, analysisText };
  // The pace banner, for the browser test to draw a slow booth's status on a booth that keeps up.
  window.OperatorRender = { pace: renderPace };
})();
