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
    idle: "idle", welcome: "welcome", baseline: "baseline", shooting: "shooting", review: "review",
    delivered: "review", expired: "review", aborted: "review", fault: "fault",
  };
  // Why a look has no photo, as the end screen says it (the plan's missed_because).
  const MISSED_BECAUSE = { time: "no photo: we ran out of time", stopped: "no photo: the session stopped" };
  // The cloud link's states in which its link is known (and works, or will once uploaded).
  const CLOUD_STATES = new Set(["pending", "done", "failing"]);
  let token = null;
  let linkFor = null;     // the token whose /kiosk/link answer is asked for or in linkInfo
  let linkInfo = null;    // that answer: {lan, cloud, wifi}; null until it arrives
  let lastStatus = null;
  let keptTimer = null;
  let lastScreen = null;
  const previewLive = Booth.preview($("preview"), Number(shell.dataset.recycle || 300));

  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // The time a plan takes, said honestly: never less than it is by more than a quarter minute, so five looks
  // of 25 s (2 min 5 s) are "about 2 minutes" and 130 s is never "a minute".
  function about(seconds) {
    if (!(seconds > 0)) return "";
    if (seconds < 60) return "under a minute";
    if (seconds >= 600) return `about ${Math.round(seconds / 60)} minutes`;
    const halves = Math.round(seconds / 30);
    const whole = Math.floor(halves / 2);
    if (halves === 2) return "about a minute";
    return `about ${whole}${halves % 2 ? "½" : ""} minutes`;
  }

  function planText(summary) {
    if (!summary || !summary.looks) return "";
    return `${plural(summary.looks, "look")}, ${about(summary.seconds)}`;
  }

  function clock(seconds) {
    const s = Math.max(0, Math.ceil(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function gazeText(face, trigger) {
    // Two faces of a similar size: the booth judges nobody (one rule for who the sitter is, the policy's).
    if (!face && trigger && trigger.state === "multiple_faces") return ["One person at a time", false];
    if (!face) return ["Step into the frame", false];
    if (face.dead_gaze) return ["Think of someone you like", false];
    if (!face.eyes_open) return ["Eyes open", false];
    if (face.verdict && face.verdict.engaged) return ["Eyes on the lens ✓", true];
    return ["Look into the lens", false];
  }

  // The plan of the session on screen; a status without one (an older booth) gives each look's name only.
  function planOf(session) {
    if (!session) return [];
    if (Array.isArray(session.plan)) return session.plan;
    return (session.looks || []).map((look) => ({ look, shots: 1, kept: 0, state: "next" }));
  }

  // One look of the list: while shooting a chip (a missed look says "no photo"), on the end screen a row
  // saying what came of it ("1 photo", "no photo: we ran out of time").
  function lookNote(p, results) {
    if (p.state === "missed") return results ? MISSED_BECAUSE[p.missed_because] || MISSED_BECAUSE.time : "no photo";
    if (p.state === "done") return results ? plural(p.kept, "photo") : "";
    if (p.state === "current" && p.shots > 1) return `${p.kept} of ${p.shots}`;
    if (p.state === "next" && results) return "not reached";
    return "";
  }

  function renderShotList(status, screen) {
    const list = $("shotlist");
    const results = screen === "review";
    const items = planOf(status.session).map((p) => {
      const li = document.createElement("li");
      li.className = p.state === "current" ? "now" : p.state;
      li.dataset.state = p.state;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = p.look;
      li.append(name);
      const note = lookNote(p, results);
      if (note) {
        const small = document.createElement("span");
        small.className = "note";
        small.textContent = note;
        li.append(small);
      }
      if (p.state === "missed") li.title = lookNote(p, true);
      return li;
    });
    list.classList.toggle("results", results);
    const html = items.map((li) => li.outerHTML).join("");
    if (list.innerHTML !== html) list.replaceChildren(...items);
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

  function photosOf(status) {
    const session = status.session;
    return session && typeof session.photos === "number" ? session.photos : status.shots_taken || 0;
  }

  function renderShooting(status) {
    const session = status.session || {};
    const looks = session.looks || [];
    const i = session.look_index || 0;
    $("look-count").textContent = looks.length ? `Look ${i + 1} of ${looks.length}` : "";
    const left = session.look_seconds_left;
    $("look-clock").textContent = typeof left === "number" ? `${Math.ceil(Math.max(0, left))} s left` : "";
    if (typeof session.seconds_left === "number") {
      $("state-pill").textContent = `${clock(session.seconds_left)} left`;
      $("state-pill").title = "Time left in the session";
    }
    $("look-title").textContent = status.target_look || "";
    $("scenario").textContent = status.scenario || "";
    $("hint").textContent = status.hint || "";
    renderMeter(status);
    const [text, ok] = gazeText(status.face, status.trigger);
    $("gaze-chip").textContent = text;
    $("gaze-chip").dataset.ok = String(ok);
    $("shots-chip").textContent = plural(photosOf(status), "photo");
  }

  function renderBaseline(status) {
    const base = (status.session && status.session.baseline) || null;
    // "" means nothing is missing: the booth is counting the second at rest, or has not read a face yet.
    const waiting = base ? base.waiting_for : "";
    $("baseline-hint").textContent = !base ? "" : waiting
      || (base.progress > 0 ? "Good: stay just like that" : "Hold still, eyes on the light");
    const pct = Booth.pct(base ? base.progress : 0);
    $("baseline-fill").style.width = pct + "%";
    $("baseline-progress").setAttribute("aria-valuenow", String(pct));
  }

  // The session's cloud link: the live status's own (the session on screen), else what /kiosk/link said.
  function cloudOf(session) {
    const live = session && session.link;
    if (live && typeof live.state === "string") return CLOUD_STATES.has(live.state) && live.link ? live : null;
    return linkInfo && linkInfo.cloud;
  }

  function askLink() {
    if (linkFor === token) return;
    linkFor = token;
    linkInfo = null;
    const asked = token;
    // A 404 (the gallery is gone) offers nothing; a network error is asked again in a moment.
    fetch(`/kiosk/link/${asked}`).then((r) => (r.ok ? r.json() : { lan: null, cloud: null, wifi: false }))
      .catch(() => null)
      .then((info) => {
        if (linkFor !== asked) return;
        if (!info) { setTimeout(() => { if (linkFor === asked && !linkInfo) linkFor = null; }, 2000); return; }
        linkInfo = info;
        if (lastStatus) render(lastStatus);
      });
  }

  function setSrc(img, src) {
    if (img.getAttribute("src") !== src) img.src = src;
  }

  // What the end screen offers: the cloud link's QR code once there is one ("will work in a minute" until
  // it is uploaded), else the booth's own link when a phone can open it (after the hotspot's Wi-Fi code
  // when that is on), else only a sentence: a QR code no phone can open helps nobody.
  function renderLinks(status, haveLink) {
    if (haveLink) askLink();
    const cloud = haveLink ? cloudOf(status.session) : null;
    const lan = linkInfo ? linkInfo.lan : null;
    const mode = !haveLink ? "none" : cloud ? "cloud" : !linkInfo ? "wait" : lan ? "lan" : "saved";
    const wifi = mode === "lan" && Boolean(linkInfo.wifi);
    const waiting = cloud && cloud.state !== "done";
    $("qr-card").hidden = mode !== "cloud" && mode !== "lan";
    // A presigned cloud link makes a dense code: drawn larger, so a phone reads it from arm's length.
    $("qr-card").dataset.dense = String(mode === "cloud" && cloud.link.length > 120);
    $("wifi-card").hidden = !wifi;
    $("qr-cards").dataset.count = String(($("qr-card").hidden ? 0 : 1) + (wifi ? 1 : 0));
    $("no-link").hidden = mode !== "saved";
    if (mode === "cloud" || mode === "lan") setSrc($("qr"), `/kiosk/qr/${token}.svg?as=${mode}`);
    if (wifi) setSrc($("wifi-qr"), "/kiosk/wifi.svg");
    $("qr-lead").textContent = wifi ? "2. Open your photos" : "Scan to get your photos on your phone.";
    $("qr-note").textContent = waiting ? "Your link will work in a minute." : "";
    $("gallery-link").textContent = mode === "lan" ? lan : waiting && lan ? `Now on the booth's network: ${lan}` : "";
    return mode;
  }

  function renderReview(status) {
    const ended = status.state === "expired" || status.state === "aborted";
    $("done-title").textContent = ended ? (status.state === "expired" ? "Session timed out" : "Session stopped")
      : "All done!";
    const session = status.session;
    const photos = photosOf(status);
    const plan = planOf(session);
    const withPhotos = session && typeof session.looks_with_photos === "number" ? session.looks_with_photos : null;
    $("done-count").textContent = photos === 0 ? "No photos were kept."
      : `${plural(photos, "photo")}` + (withPhotos === null ? "" : `, ${withPhotos} of ${plural(plan.length, "look")}`);
    // A link to an empty gallery helps nobody: offer it only when a photo was kept.
    const mode = renderLinks(status, Boolean(token) && photos > 0);
    $("done-btn").hidden = status.state !== "review";
    $("review-note").textContent = mode === "cloud" || mode === "lan"
      ? "The link stays private: only people you share it with can see your photos."
      : (status.fault ? `The booth stopped: ${status.fault}` : "");
  }

  // Idle, paused (status.paused: why): the booth starts no session, so no Start button, and it says so.
  function renderIdle(status) {
    const paused = typeof status.paused === "string" && status.paused ? status.paused : null;
    $("idle-title").textContent = paused ? "This booth is paused" : "Your headshots.";
    $("paused-reason").hidden = !paused;
    $("paused-reason").textContent = paused ? `${paused[0].toUpperCase()}${paused.slice(1)}.`.replace(/\.\.$/, ".") : "";
    $("idle-lead").hidden = $("idle-plan").hidden = $("start-btn").hidden = Boolean(paused);
    if (paused && status.state === "idle") $("state-pill").textContent = "Paused";
  }

  function renderPlan(status) {
    // Idle: what Start runs. Welcome: the session's own shot list (a preset may differ from the default).
    const session = status.session;
    const own = session && session.plan ? { looks: session.plan.length, seconds: session.seconds_total } : null;
    $("idle-plan").textContent = planText(status.plan_summary);
    $("welcome-plan").textContent = planText(own || status.plan_summary);
  }

  function render(status) {
    lastStatus = status;
    const state = status.state || "idle";
    const screen = SCREENS[state] || "idle";
    shell.dataset.state = state;
    shell.dataset.screen = screen;
    // A new screen starts at its top: one left scrolled (a long consent text) must not hide the headline.
    if (screen !== lastScreen) { $("panel").scrollTop = 0; lastScreen = screen; }
    $("state-pill").textContent = STATE_LABELS[state] || state;
    $("state-pill").title = "";
    const session = status.session;
    if (session && session.token) token = session.token;
    else if (status.last_shot && status.last_shot.session_token) token = status.last_shot.session_token;
    if (state === "idle" || state === "welcome") token = null;
    if (session && session.consent_text) $("consent-text").textContent = session.consent_text;
    renderPlan(status);
    renderIdle(status);
    renderShotList(status, screen);
    if (screen === "shooting") renderShooting(status);
    else $("hold-ring").classList.remove("on");
    if (screen === "baseline") renderBaseline(status);
    if (screen === "review") renderReview(status);
    // The sitter gets a plain sentence; the technical reason is for the staff, in small print below it.
    if (screen === "fault") $("fault-detail").textContent = `For staff: ${status.fault || (status.camera && status.camera.fault) || "see the operator page"}`;
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
  $("baseline-cancel-btn").addEventListener("click", () => act("/api/session/cancel"));
  $("done-btn").addEventListener("click", () => act("/api/session/finish"));

  Booth.events({
    status: render,
    fire: flash,
    shot: showKept,
    session: () => {},
  }, (ok) => { $("offline").hidden = ok; });
})();
