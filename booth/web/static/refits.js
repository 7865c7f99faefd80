/* The refit offers from the photographer's marks, drawn the same on the review page and under Teach:
   per look, the marked photos, how many carry signals, and a "Refit" button once 5 of each do. */
"use strict";

window.Refits = (function () {
  function draw(box, offers, onRefit) {
    box.replaceChildren();
    const names = Object.keys(offers || {}).sort();
    if (!names.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No photos marked yet. Mark kept photos good or not good under Sessions → Review.";
      box.append(p);
      return;
    }
    names.forEach((look) => {
      const c = offers[look];
      const row = document.createElement("div");
      row.className = "refit row";
      row.dataset.look = look;
      const text = document.createElement("span");
      let words = `${look}: ${c.good} good, ${c.not_good} not good`;
      if (c.without_signals) words += ` (${c.without_signals} kept before the booth stored signals: not usable)`;
      if (!c.ready) words += ` · mark at least 5 of each with signals to refit`;
      text.textContent = words;
      row.append(text);
      if (c.ready) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button small primary refit-btn";
        button.textContent = `Refit ${look} from ${c.good_usable + c.not_good_usable} marked photos`;
        button.addEventListener("click", () => onRefit(look, button));
        row.append(button);
      }
      box.append(row);
    });
  }
  return { draw };
})();
