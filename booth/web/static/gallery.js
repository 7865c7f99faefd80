/* The gallery's photo viewer: a tap on a photo opens it full screen on this page, with its look, swipe and
   arrow keys and buttons for the next and previous photo, the crops, Download and Back.

   Everything it shows is read off the page (each tile's links carry their view URL and file name), so the
   page works without this script, and the strict content security policy needs no exception.
   Why history entries: on a phone, Back (the button, or the system's back gesture) must close the viewer,
   not leave the gallery. Opening pushes one entry; moving to another photo replaces it, so one Back always
   returns to the gallery; closing by button or Escape goes back through that entry. */
"use strict";

(function () {
  const viewer = document.getElementById("viewer");
  const main = document.getElementById("gallery");
  if (!viewer || !main) return;
  const $ = (id) => document.getElementById(id);
  const stage = $("viewer-stage");
  const img = $("viewer-img");
  const download = $("viewer-download");
  const variantsBox = $("viewer-variants");
  const prevButton = $("viewer-prev");
  const nextButton = $("viewer-next");
  const SWIPE = 50; // px: a shorter drag is a tap or a wobble, not a swipe

  const items = [...document.querySelectorAll(".tile[data-shot]")].map((tile) => ({
    id: tile.dataset.shot,
    look: tile.dataset.look,
    take: tile.dataset.take,
    shows: tile.dataset.shows,
    best: tile.classList.contains("best"),
    link: tile.querySelector("a.open"),
    variants: [...tile.querySelectorAll("a.download")].map((a) => ({
      key: a.dataset.variant,
      label: a.dataset.label,
      view: a.dataset.view,
      href: a.getAttribute("href"),
      file: a.getAttribute("download"),
    })),
  }));
  let index = -1;
  let chosen = null; // the crop picked in the viewer, kept from photo to photo while each has it

  const isOpen = () => !viewer.hidden;
  const stateOf = (i) => ({ galleryViewer: items[i].id });
  const urlOf = (i) => location.pathname + location.search + "#photo-" + items[i].id;
  const indexOfId = (id) => items.findIndex((item) => item.id === String(id));

  function variantOf(item) {
    return item.variants.find((v) => v.key === chosen)
      || item.variants.find((v) => v.key === item.shows)
      || item.variants[0];
  }

  function show(i) {
    index = i;
    const item = items[i];
    const variant = variantOf(item);
    if (img.getAttribute("src") !== variant.view) {
      stage.classList.add("loading");
      img.src = variant.view;
    }
    img.alt = item.look + " headshot, take " + item.take + " (" + variant.label + ")";
    $("viewer-look").textContent = item.look + " · take " + item.take;
    $("viewer-best").hidden = !item.best;
    $("viewer-count").textContent = (i + 1) + " of " + items.length;
    download.href = variant.href;
    download.setAttribute("download", variant.file);
    download.textContent = "Download " + (variant.key === "original" ? "photo" : variant.label);
    variantsBox.replaceChildren(...item.variants.map((v) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button ghost";
      button.textContent = v.label;
      button.dataset.variant = v.key;
      button.setAttribute("aria-pressed", String(v.key === variant.key));
      return button;
    }));
    prevButton.disabled = i === 0;
    nextButton.disabled = i === items.length - 1;
  }

  function open(i, push) {
    show(i);
    if (push) history.pushState(stateOf(i), "", urlOf(i));
    if (isOpen()) return;
    viewer.hidden = false;
    main.inert = true; // keyboard and screen reader stay in the viewer
    document.body.classList.add("viewing");
    $("viewer-back").focus();
  }

  function close() {
    if (!isOpen()) return;
    viewer.hidden = true;
    main.inert = false;
    document.body.classList.remove("viewing");
    const link = index >= 0 && items[index].link;
    if (link) {
      link.focus({ preventScroll: true });
      link.scrollIntoView({ block: "nearest" });
    }
  }

  function requestClose() {
    // Back through the entry opening pushed (popstate then closes), so no stale entry is left behind.
    if (history.state && history.state.galleryViewer) history.back();
    else close();
  }

  function step(delta) {
    const i = index + delta;
    if (!isOpen() || i < 0 || i >= items.length) return;
    show(i);
    history.replaceState(stateOf(i), "", urlOf(i));
  }

  items.forEach((item, i) => {
    item.link.addEventListener("click", (e) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // new tab etc.
      e.preventDefault();
      open(i, true);
    });
  });
  $("viewer-back").addEventListener("click", requestClose);
  prevButton.addEventListener("click", () => step(-1));
  nextButton.addEventListener("click", () => step(1));
  variantsBox.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-variant]");
    if (!button) return;
    chosen = button.dataset.variant;
    show(index);
    variantsBox.querySelector('[data-variant="' + chosen + '"]').focus(); // the old button is gone
  });
  img.addEventListener("load", () => stage.classList.remove("loading"));
  img.addEventListener("error", () => stage.classList.remove("loading"));

  document.addEventListener("keydown", (e) => {
    if (!isOpen() || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "Escape") requestClose();
    else if (e.key === "ArrowLeft") step(-1);
    else if (e.key === "ArrowRight") step(1);
    else return;
    e.preventDefault();
  });

  window.addEventListener("popstate", (e) => {
    const i = e.state && e.state.galleryViewer ? indexOfId(e.state.galleryViewer) : -1;
    if (i >= 0) open(i, false); // forward again into the viewer
    else close();
  });

  // Swipe: one finger (or a mouse drag) across the photo; the photo follows it, and past SWIPE pixels,
  // mostly sideways, the next or previous one comes. A second finger (a pinch) ends the swipe.
  const pointers = new Set();
  let drag = null;
  function endDrag() {
    drag = null;
    stage.classList.remove("dragging");
    img.style.transform = "";
  }
  stage.addEventListener("pointerdown", (e) => {
    pointers.add(e.pointerId);
    if (pointers.size > 1) { endDrag(); return; }
    if (e.button !== 0 || e.target.closest("button")) return;
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, dx: 0, dy: 0 };
    stage.setPointerCapture(e.pointerId);
    stage.classList.add("dragging");
  });
  stage.addEventListener("pointermove", (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    drag.dx = e.clientX - drag.x;
    drag.dy = e.clientY - drag.y;
    const atEnd = (drag.dx > 0 && index === 0) || (drag.dx < 0 && index === items.length - 1);
    img.style.transform = "translateX(" + (atEnd ? drag.dx / 4 : drag.dx) + "px)";
  });
  const lift = (e) => pointers.delete(e.pointerId); // wherever the finger is lifted, on the stage or not
  window.addEventListener("pointerup", lift, true);
  window.addEventListener("pointercancel", lift, true);
  stage.addEventListener("pointerup", (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const { dx, dy } = drag;
    endDrag();
    if (Math.abs(dx) >= SWIPE && Math.abs(dx) > Math.abs(dy)) step(dx < 0 ? 1 : -1);
  });
  stage.addEventListener("pointercancel", (e) => {
    if (drag && e.pointerId === drag.id) endDrag();
  });

  // A reload with the viewer open keeps it open; a link to one photo (#photo-<id>) opens it, with the
  // gallery as the entry Back returns to.
  const restored = history.state && history.state.galleryViewer ? indexOfId(history.state.galleryViewer) : -1;
  const linked = /^#photo-(\d+)$/.exec(location.hash);
  if (restored >= 0) {
    open(restored, false);
  } else if (linked && indexOfId(linked[1]) >= 0) {
    history.replaceState(null, "", location.pathname + location.search);
    open(indexOfId(linked[1]), true);
  }
})();
