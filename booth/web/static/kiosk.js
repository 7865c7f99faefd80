/* The sitter's screen: renders each status event; buttons post to the API. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const shell = $("kiosk");
  const STATE_LABELS = {
    idle: "Ready", welcome: "Welcome", baseline: "Getting ready", shooting: "Shooting", review: "Done",
    delivered: "Done", expired: "Ended", aborted: "Stopped", fault: "One moment",
  };
  const SCREENS = {
    idle: "idle", welcome: "welcome", baseline: "shooting", shooting: "shooting", review: "review",
    delivered: "review", expired: "review", aborted: "review", fault: "fault",
  };
  let token = null;
  let qrToken = null;
  let keptTimer = null;
  let shotsThisSession = 0;
  const previewLive = Booth.preview($("preview"), Number(shell.dataset.recycle || 300));

  function gazeText(face, trigger) {
    // Two faces of a similar size: the booth judges nobody (one rule for who the sitter is, the policy's).
    if (!face && trigger && trigger.state === "multiple_faces") return ["One person at a time", false];
    if (!face) return ["Step into the frame", false];
    if (face.dead_gaze) return ["Think of someone you like", false];
    if (!face.eyes_open) return ["Eyes open", false];
    if (face.verdict && face.verdict.engaged) return ["Eyes on the lens ✓", true];
    return ["Look into the lens", false];
  }

  function renderShotList(status) {
    const list = $("shotlist");
    const session = status.session;
    const looks = session ? session.looks || [] : [];
    const index = session ? session.look_index : -1;
    const ended = ["review", "delivered"].includes(status.state);
    const html = looks.map((look, i) => {
      const cls = ended || i < index ? "done" : (i === index && status.state === "shooting" ? "now" : "");
      return `<li class="${cls}">${look}</li>`;
    }).join("");
    if (list.innerHTML !== html) list.innerHTML = html;
  }

  function renderMeter(status) {
    const trig = status.trigger;
    const face = status.face;
    const target = status.target_look;
    // Readiness, every frame: the target look's live score while every gate firing needs is open (eyes
    // open, on the lens, no blank stare), held near 0 while one is shut, so the meter never shows a look
    // the booth would not shoot. The trigger decision's score is frozen while it cools down after a shot,
    // and the sitter must see the meter follow their face.
    const live = face && target ? face.readiness : undefined;
    const score = typeof live === "number" ? live : null;
    const threshold = trig && typeof trig.threshold === "number" ? trig.threshold : null;
    $("meter-fill").style.width = Booth.pct(score) + "%";
    $("meter").setAttribute("aria-valuenow", String(Booth.pct(score)));
    $("meter").dataset.score = String(score === null || score === undefined ? "" : score.toFixed(3));
    $("meter-mark").hidden = threshold === null;
    if (threshold !== null) $("meter-mark").style.left = Booth.pct(threshold) + "%";
    $("meter").classList.toggle("armed", threshold !== null && score !== null && score >= threshold);
    const progress = trig ? trig.progress || 0 : 0;
    const ring = $("hold-ring");
    ring.classList.toggle("on", status.state === "shooting" && progress > 0);
    ring.style.setProperty("--p", String(progress));
  }

  function renderReview(status) {
    const ended = status.state === "expired" || status.state === "aborted";
    $("done-title").textContent = ended ? (status.state === "expired" ? "Session timed out" : "Session stopped")
      : "All done!";
    // A link to an empty gallery helps nobody: offer it only when a photo was kept.
    const haveLink = Boolean(token) && (status.shots_taken || 0) > 0;
    $("qr-card").hidden = !haveLink;
    if (haveLink && qrToken !== token) {
      qrToken = token;
      $("qr").src = `/kiosk/qr/${token}.svg`;
      fetch(`/kiosk/link/${token}`).then((r) => (r.ok ? r.text() : "")).then((t) => { $("gallery-link").textContent = t; });
    }
    $("done-btn").hidden = status.state !== "review";
    $("review-note").textContent = haveLink ? "The link stays private: only people you share it with can see your photos."
      : (status.fault ? `No photos were kept: ${status.fault}` : "No photos were kept.");
  }

  function render(status) {
    const state = status.state || "idle";
    const screen = SCREENS[state] || "idle";
    shell.dataset.state = state;
    shell.dataset.screen = screen;
    $("state-pill").textContent = STATE_LABELS[state] || state;
    const session = status.session;
    if (session && session.token) token = session.token;
    else if (status.last_shot && status.last_shot.session_token) token = status.last_shot.session_token;
    if (state === "idle" || state === "welcome") { token = null; shotsThisSession = 0; }
    if (session && session.consent_text) $("consent-text").textContent = session.consent_text;
    renderShotList(status);
    if (screen === "shooting") {
      const looks = session ? session.looks || [] : [];
      const i = session ? session.look_index : 0;
      $("look-count").textContent = state === "baseline" ? "Getting ready" : (looks.length ? `Look ${i + 1} of ${looks.length}` : "");
      $("look-title").textContent = state === "baseline" ? "Look at the light by the lens" : (status.target_look || "");
      $("scenario").textContent = state === "baseline" ? "Relax your face and hold your eyes on the light for a second." : (status.scenario || "");
      $("hint").textContent = status.hint || "";
      renderMeter(status);
      const [text, ok] = gazeText(status.face, status.trigger);
      $("gaze-chip").textContent = text;
      $("gaze-chip").dataset.ok = String(ok);
      const n = status.shots_taken || 0;
      $("shots-chip").textContent = n === 1 ? "1 photo" : `${n} photos`;
    } else {
      $("hold-ring").classList.remove("on");
    }
    if (screen === "review") renderReview(status);
    if (screen === "fault") $("fault-text").textContent = (status.camera && status.camera.fault) || "The booth is sorting something out.";
    $("message").textContent = (session && session.message) || "";
    document.querySelector(".preview-frame").classList.toggle("live", previewLive());
  }

  function flash() {
    const el = $("flash");
    el.classList.remove("go");
    void el.offsetWidth;  // restart the animation
    el.classList.add("go");
  }

  function showKept(event) {
    const tok = event.session_token || token;
    if (!tok) return;
    shotsThisSession += 1;
    const img = $("kept-img");
    img.onerror = () => { img.onerror = null; img.src = `/g/${tok}/photo/${event.id}.jpg?size=view`; };
    img.src = `/g/${tok}/crop/${event.id}/4x5.jpg?size=view`;
    $("kept-caption").textContent = event.look ? `Got it: ${event.look}` : "Got it";
    $("kept").hidden = false;
    clearTimeout(keptTimer);
    keptTimer = setTimeout(() => { $("kept").hidden = true; }, 2500);
  }

  function act(url) {
    return Booth.post(url).then(render).catch((err) => { $("message").textContent = err.message; });
  }

  $("start-btn").addEventListener("click", () => act("/api/session/start"));
  $("consent-btn").addEventListener("click", () => act("/api/session/consent"));
  $("decline-btn").addEventListener("click", () => act("/api/session/cancel"));
  $("cancel-btn").addEventListener("click", () => act("/api/session/cancel"));
  $("done-btn").addEventListener("click", () => act("/api/session/finish"));

  Booth.events({
    status: render,
    fire: flash,
    shot: showKept,
    session: () => {},
  }, (ok) => { $("offline").hidden = ok; });
})();
