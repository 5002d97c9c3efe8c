/**
 * The small DOM helpers every panel of the page shares: building elements,
 * status lines, figures, reading a streamed body, and a redraw timer.
 *
 * @module
 */

/** How often live figures are redrawn: often enough to look live, rarely enough to cost nothing. */
const TICK_MS = 200;

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** Makes an element: attributes are set as attributes, `on*` as listeners. */
export function h(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

/** Shows a status line; `kind` colours it ("ok", "error" or none). */
export function say(el, text, kind = "") {
  el.textContent = text;
  el.dataset.kind = kind;
}

/** A refused request as one line, with the problem detail (RFC 9457) when there is one. */
export async function describeRefusal(res) {
  let detail = "";
  try {
    const body = await res.text();
    detail = res.headers.get("content-type")?.includes("json")
      ? JSON.parse(body).detail ?? body
      : body;
  } catch {
    // No body, or not JSON: the status says enough.
  }
  return `${res.status} ${res.statusText}${detail ? `: ${detail}` : ""}`;
}

/**
 * Reads a body into a RowReader and counts its bytes as they arrive. Resolves
 * when the body ends cleanly; rejects when the transfer breaks or is aborted.
 */
export async function pump(res, reader, counts) {
  const decoder = new TextDecoder();
  const body = res.body.getReader();
  for (;;) {
    const { done, value } = await body.read();
    if (done) break;
    counts.bytes += value.byteLength;
    reader.push(decoder.decode(value, { stream: true }));
  }
  reader.push(decoder.decode());
}

/** Calls `draw` every TICK_MS until the returned function is called (which draws once more). */
export function ticker(draw) {
  const timer = setInterval(draw, TICK_MS);
  draw();
  return () => {
    clearInterval(timer);
    draw();
  };
}

/** Sets a figure's text, and its exact number for tests and assistive tech. */
export function figure(el, value, text) {
  el.textContent = text;
  el.dataset.value = String(value);
}
