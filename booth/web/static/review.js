/* The operator's review of one session: mark each kept photo good or not good for its look; once a look
   has enough marks, refit it and go on to the preview under Teach. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const box = $("refits");
  const say = (text) => { $("review-message").textContent = text; };

  function refit(look, button) {
    button.disabled = true;
    say(`Refitting ${look}…`);
    Booth.post("/api/teach/refit", { look })
      .then(() => { window.location.href = "/operator#teach"; })
      .catch((err) => { say(err.message); button.disabled = false; });
  }

  function show(card) {
    const mark = card.dataset.mark;
    card.classList.toggle("marked-good", mark === "good");
    card.classList.toggle("marked-bad", mark === "not_good");
    card.querySelectorAll("button.mark").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.value === mark)));
  }

  document.querySelectorAll("article.shot").forEach((card) => {
    show(card);
    card.querySelectorAll("button.mark").forEach((button) => {
      button.addEventListener("click", () => {
        // A second click on the chosen mark clears it.
        const value = card.dataset.mark === button.dataset.value ? null : button.dataset.value;
        Booth.post(`/api/shots/${card.dataset.shot}/mark`, { mark: value })
          .then((data) => {
            card.dataset.mark = data.mark || "";
            show(card);
            Refits.draw(box, data.offers, refit);
            say("");
          })
          .catch((err) => say(err.message));
      });
    });
  });
  Refits.draw(box, JSON.parse(box.dataset.offers || "{}"), refit);
})();
