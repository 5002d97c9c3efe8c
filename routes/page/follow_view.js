/**
 * Following a text file live in the preview: new lines arrive as Server-Sent
 * Events from `?follow`, the view scrolls with them while it is at the
 * bottom, and Pause closes the connection (freeing the server's stream slot)
 * while Resume continues from the byte offset of the last line shown, so no
 * line is lost or repeated.
 *
 * @module
 */

import { h } from "./dom.js";

/** The view starts with the file's last bytes (whole lines from there), then follows. */
const START_BYTES = 16 * 1024;
/** Older lines are dropped past this many, so a busy log does not grow the page forever. */
const MAX_LINES = 5000;

/** The follow running now, if any: one at a time, stopped when the preview changes. */
let running;

/** Stops the follow shown now, closing its connection. */
export function stopFollowing() {
  running?.close();
  running = undefined;
}

/**
 * A Follow button for a text preview: pressed, it replaces `pre`'s contents
 * with the file's last lines and then every new one.
 *
 * @param url The file's URL (`/media/app.log`).
 * @param pre The preview's `<pre>`.
 * @returns The button and the line that says how the follow is doing.
 */
export function followControls(url, pre) {
  const button = h("button", { type: "button", id: "preview-follow" }, "Follow");
  const state = h("span", { id: "preview-follow-state", role: "status" });
  /** Where to continue: a byte offset (an event's id), or the last N bytes to start. */
  let from = `-${START_BYTES}`;
  let source;

  const show = (what, text) => {
    pre.dataset.follow = what;
    state.textContent = text;
  };
  const addLine = (text) => {
    // Scroll along only when the reader is at the bottom already.
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.append(`${text}\n`);
    while (pre.childNodes.length > MAX_LINES) pre.firstChild.remove();
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  const close = () => {
    source?.close();
    source = undefined;
  };
  const start = () => {
    stopFollowing();
    source = new EventSource(`${url}?follow&from=${encodeURIComponent(from)}`);
    running = { close };
    show("connecting", "Connecting…");
    source.onopen = () => show("live", "Following: new lines appear as they are written");
    source.onmessage = (event) => {
      from = event.lastEventId;
      addLine(event.data);
    };
    for (
      const [name, text] of [
        ["truncated", "── the file was truncated; following from its start ──"],
        ["rotated", "── the file was replaced; following from its start ──"],
      ]
    ) {
      source.addEventListener(name, (event) => {
        from = event.lastEventId;
        addLine(text);
      });
    }
    source.addEventListener("gone", () => {
      close();
      addLine("── the file is gone; following ended ──");
      show("ended", "The file is gone");
      button.disabled = true;
    });
    source.onerror = () => {
      // EventSource reconnects by itself (with Last-Event-ID) unless the server refused.
      if (source?.readyState === EventSource.CLOSED) {
        close();
        show("stopped", "Following stopped: the server refused to go on");
        button.textContent = "Resume";
      } else if (source !== undefined) show("connecting", "Reconnecting…");
    };
    button.textContent = "Pause";
  };

  button.addEventListener("click", () => {
    if (source !== undefined) {
      stopFollowing();
      show("paused", `Paused at byte ${from}`);
      button.textContent = "Resume";
      return;
    }
    if (pre.dataset.follow === undefined) pre.replaceChildren();
    start();
  });
  return [button, state];
}
