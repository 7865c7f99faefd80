/* Shared by the kiosk and operator pages: CSRF-carrying POSTs, the live event feed, the live preview.
   Both feeds are recycled by the server (and refused with 503 when too many are open), so both reopen. */
"use strict";

window.Booth = (function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new Error((data && data.error) || res.status + " " + res.statusText);
    return data;
  }

  function events(handlers, onConnected) {
    let source = null;
    let retry = null;
    function open() {
      source = new EventSource("/api/events");
      source.onopen = () => onConnected && onConnected(true);
      Object.keys(handlers).forEach((type) => {
        source.addEventListener(type, (e) => {
          try { handlers[type](JSON.parse(e.data)); } catch (err) { console.error(type, err); }
        });
      });
      source.onerror = () => {
        onConnected && onConnected(false);
        if (source.readyState === EventSource.CLOSED) {  // refused (503) or the server went away
          clearTimeout(retry);
          retry = setTimeout(open, 3000);
        }
      };
    }
    open();
  }

  function preview(img, recycleSeconds) {
    let timer = null;
    const reopen = (delay) => {
      clearTimeout(timer);
      timer = setTimeout(() => { img.src = "/stream.mjpg?t=" + Date.now(); }, delay);
    };
    img.addEventListener("error", () => reopen(2000));
    // The server ends a stream after recycleSeconds; reopen a little before, so the picture never freezes.
    setInterval(() => reopen(0), Math.max(5, recycleSeconds - 3) * 1000);
    // Wider than the server's 8-pixel keep-alive placeholder (streams.PLACEHOLDER_SIZE): a real frame.
    return () => img.naturalWidth > 8;
  }

  const pct = (x) => Math.round(Math.max(0, Math.min(1, x || 0)) * 100);

  return { post, events, preview, pct };
})();
