/**
 * What the page does: the media library, exports watched as they arrive, and
 * the /stream-data view. Plain DOM and fetch; the parts that need no browser
 * are in page_logic.js, where Deno tests them.
 *
 * @module
 */

import {
  exportUrl,
  formatBytes,
  formatCount,
  formatDuration,
  mediaKind,
  RateMeter,
  resumePlan,
  RowReader,
} from "./page_logic.js";

/** How often live figures are redrawn: often enough to look live, rarely enough to cost nothing. */
const TICK_MS = 200;
/** Text previews read only this much, with a Range request. */
const TEXT_PREVIEW_BYTES = 64 * 1024;

const $ = (id) => document.getElementById(id);

/** Makes an element: attributes are set as attributes, `on*` as listeners. */
function h(tag, attributes = {}, ...children) {
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
function say(el, text, kind = "") {
  el.textContent = text;
  el.dataset.kind = kind;
}

/** A refused request as one line, with the problem detail (RFC 9457) when there is one. */
async function describeRefusal(res) {
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
async function pump(res, reader, counts) {
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
function ticker(draw) {
  const timer = setInterval(draw, TICK_MS);
  draw();
  return () => {
    clearInterval(timer);
    draw();
  };
}

/** Sets a figure's text, and its exact number for tests and assistive tech. */
function figure(el, value, text) {
  el.textContent = text;
  el.dataset.value = String(value);
}

// ---------------------------------------------------------------- Media

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const KIND_LABEL = { video: "Video", audio: "Audio", image: "Image", text: "Text", file: "File" };

/** The folder named in the address (`#/media/docs/`), percent-encoded as in URLs. */
function currentFolder() {
  const match = /^#\/media(\/.*)$/.exec(location.hash);
  return match !== null && match[1].endsWith("/") ? match[1] : "/";
}

async function showFolder(folder) {
  const status = $("media-status");
  say(status, "Loading…");
  let listing;
  try {
    const res = await fetch(`/media${folder}`, { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(await describeRefusal(res));
    listing = await res.json();
  } catch (error) {
    say(status, `Cannot list this folder: ${error.message}`, "error");
    return;
  }
  showCrumbs(folder);
  const rows = listing.entries.map((entry) => fileRow(folder, entry));
  if (folder !== "/") {
    const up = folder.replace(/[^/]+\/$/, "");
    rows.unshift(
      h("tr", {}, h("td", { class: "name", colspan: 5 }, h("a", { href: `#/media${up}` }, "↑ Up"))),
    );
  }
  $("files").tBodies[0].replaceChildren(...rows);
  const files = listing.entries.filter((e) => e.type === "file").length;
  say(status, listing.entries.length === 0 ? "This folder is empty." : "");
  $("files").dataset.files = String(files);
}

function fileRow(folder, entry) {
  const url = `/media${folder}${entry.href}`;
  if (entry.type === "directory") {
    return h(
      "tr",
      {},
      h("td", { class: "name" }, h("a", { href: `#${url}` }, `${entry.name}/`)),
      h("td", { class: "kind" }, h("span", { class: "badge" }, "Folder")),
      h("td", { class: "num" }, "—"),
      h("td", { class: "when" }, entry.mtime ? DATE.format(new Date(entry.mtime)) : ""),
      h("td", {}),
    );
  }
  const kind = mediaKind(entry.name);
  const row = h(
    "tr",
    {},
    h(
      "td",
      { class: "name" },
      h("button", {
        type: "button",
        class: "link",
        onclick: () => showPreview(entry, url, row),
      }, entry.name),
    ),
    h("td", { class: "kind" }, h("span", { class: "badge" }, KIND_LABEL[kind])),
    h("td", { class: "num" }, formatBytes(entry.size)),
    h("td", { class: "when" }, entry.mtime ? DATE.format(new Date(entry.mtime)) : ""),
    h("td", { class: "num" }, downloadLink(url, entry.name)),
  );
  return row;
}

function downloadLink(url, name) {
  return h(
    "a",
    { href: `${url}?download`, download: name, "aria-label": `Download ${name}` },
    "Download",
  );
}

function showCrumbs(folder) {
  const parts = folder.split("/").filter(Boolean);
  const crumbs = [h("a", { href: "#/media/" }, "media")];
  parts.forEach((part, i) => {
    const href = `#/media/${parts.slice(0, i + 1).join("/")}/`;
    const name = decodeURIComponent(part);
    crumbs.push(" / ");
    crumbs.push(
      i === parts.length - 1 ? h("span", { "aria-current": "page" }, name) : h("a", { href }, name),
    );
  });
  $("crumbs").replaceChildren(...crumbs);
}

/** Stops a playing or loading element, so its connection closes now rather than at GC. */
function releaseMedia(container) {
  for (const media of container.querySelectorAll("video, audio")) {
    media.pause();
    media.removeAttribute("src");
    media.load();
  }
}

function showPreview(entry, url, row) {
  for (const other of $("files").querySelectorAll("tr[aria-current]")) {
    other.removeAttribute("aria-current");
  }
  row.setAttribute("aria-current", "true");
  const body = $("preview-body");
  releaseMedia(body);
  const kind = mediaKind(entry.name);
  let view;
  // The players ask for byte ranges themselves: seeking fetches only what it needs.
  if (kind === "video") {
    view = h("video", { src: url, controls: true, preload: "metadata", "aria-label": entry.name });
  } else if (kind === "audio") {
    view = h("audio", { src: url, controls: true, preload: "metadata", "aria-label": entry.name });
  } else if (kind === "image") {
    view = h("img", { src: url, alt: entry.name });
  } else if (kind === "text") {
    view = h("pre", { tabindex: 0, "aria-label": `Contents of ${entry.name}` }, "Loading…");
    loadText(url, view, entry.size);
  } else {
    view = h("p", { class: "hint" }, "No preview for this kind of file.");
  }
  body.replaceChildren(view);
  $("preview-caption").replaceChildren(
    h("strong", {}, entry.name),
    h("span", {}, `${formatBytes(entry.size)} · `, downloadLink(url, entry.name)),
  );
}

async function loadText(url, pre, size) {
  try {
    const res = await fetch(url, { headers: { range: `bytes=0-${TEXT_PREVIEW_BYTES - 1}` } });
    if (!res.ok) throw new Error(await describeRefusal(res));
    let text = await res.text();
    if (res.status === 206 && size > TEXT_PREVIEW_BYTES) {
      text += `\n… (the first ${formatBytes(TEXT_PREVIEW_BYTES)} of ${formatBytes(size)})`;
    }
    pre.textContent = text;
  } catch (error) {
    pre.textContent = `Cannot preview: ${error.message}`;
  }
}

// ---------------------------------------------------------------- Exports

/** The tables from /export/, by name. */
const tables = new Map();
/** The export on screen, across its resumes. */
let job;

async function loadTables() {
  const status = $("export-status");
  try {
    const res = await fetch("/export/", { headers: { accept: "application/json" } });
    if (!res.ok) throw new Error(await describeRefusal(res));
    for (const table of (await res.json()).tables) tables.set(table.name, table);
  } catch (error) {
    say(status, `Cannot list the tables: ${error.message}`, "error");
    return;
  }
  const select = $("export-table");
  select.replaceChildren(
    ...[...tables.values()].map((t) =>
      h(
        "option",
        { value: t.name, selected: t.name === "items" },
        t.rows === null ? `${t.name} (${t.type})` : `${t.name} — ${formatCount(t.rows)} rows`,
      )
    ),
  );
  showColumns();
}

function showColumns() {
  const table = tables.get($("export-table").value);
  const boxes = (table?.columns ?? []).map((name) =>
    h(
      "label",
      { class: name === table.key ? "key" : undefined },
      h("input", { type: "checkbox", name: "column", value: name, checked: true }),
      name,
    )
  );
  $("export-columns").replaceChildren(h("legend", {}, "Columns"), ...boxes);
}

/** The plan the form describes, or a message saying what is missing. */
function planFromForm() {
  const form = $("export-form");
  const table = tables.get(form.elements.table.value);
  if (table === undefined) return "Pick a table.";
  const boxes = [...form.querySelectorAll("input[name=column]")];
  const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
  if (chosen.length === 0) return "Pick at least one column.";
  const limit = $("export-limit").value;
  if (limit !== "" && !/^\d+$/.test(limit)) return "The limit is a whole number of rows.";
  return {
    table: table.name,
    format: form.elements.format.value,
    // Every column: leave the URL short (and safe for names with commas).
    columns: chosen.length === boxes.length ? undefined : chosen,
    limit: limit === "" ? undefined : Number(limit),
  };
}

function setExportRunning(running) {
  $("export-start").disabled = running;
  $("export-cancel").disabled = !running;
  $("export-resume").hidden = true;
  $("exports").dataset.state = running ? "running" : $("exports").dataset.state;
}

function drawExport() {
  const now = performance.now();
  const reader = job.reader;
  const rows = job.rowsBefore + reader.rows;
  const elapsed = job.elapsedBefore + ((job.runEnded ?? now) - job.runStarted);
  job.rowMeter.add(now, rows);
  job.byteMeter.add(now, job.bytes);
  figure($("export-rows"), rows, formatCount(rows));
  figure($("export-bytes"), job.bytes, formatBytes(job.bytes));
  $("export-total").textContent = job.total === undefined ? "not counted" : formatCount(job.total);
  $("export-time").textContent = formatDuration(elapsed);
  // While running, the rate of the last second; after, the average.
  const running = job.runEnded === undefined;
  const rowRate = running ? job.rowMeter.rate() : rows / Math.max(elapsed / 1000, 0.001);
  const byteRate = running ? job.byteMeter.rate() : job.bytes / Math.max(elapsed / 1000, 0.001);
  $("export-rate").textContent = formatCount(Math.round(rowRate));
  $("export-speed").textContent = `${formatBytes(Math.round(byteRate))}/s`;
  const progress = $("export-progress");
  if (job.total !== undefined) progress.value = job.total === 0 ? 1 : rows / job.total;
  else if (running) progress.removeAttribute("value"); // indeterminate
  drawPreview();
}

/** Renders the first rows once, then again only while there are fewer than the preview holds. */
function drawPreview() {
  const first = job.first ?? job.reader;
  if (first.preview.length === job.previewShown) return;
  job.previewShown = first.preview.length;
  const table = $("export-preview");
  table.tHead.replaceChildren(
    h("tr", {}, ...first.columns.map((c) => h("th", { scope: "col" }, c))),
  );
  table.tBodies[0].replaceChildren(
    ...first.preview.map((values) =>
      h(
        "tr",
        {},
        ...values.map((v) =>
          v === null
            ? h("td", { class: "null" }, "null")
            : h("td", { title: String(v) }, String(v).replace(/\r?\n/g, " ↵ "))
        ),
      )
    ),
  );
  table.hidden = first.preview.length === 0;
}

async function startExport(plan) {
  const table = tables.get(plan.table);
  job = {
    plan,
    key: table.key,
    rowsBefore: 0,
    bytes: 0,
    total: undefined,
    elapsedBefore: 0,
    rowMeter: new RateMeter(),
    byteMeter: new RateMeter(),
    previewShown: -1,
    first: undefined,
    next: undefined,
  };
  await runExport(job);
}

/** Sends one request of a job (the first, or a resume) and watches it to its end. */
async function runExport(job) {
  const status = $("export-status");
  const url = exportUrl(job.plan);
  const reader = (job.reader = new RowReader(job.plan.format));
  const controller = (job.controller = new AbortController());
  job.runStarted = performance.now();
  job.runEnded = undefined;
  $("export-url").textContent = `GET ${url}`;
  $("export-download").href = url;
  $("export-download").hidden = false;
  setExportRunning(true);
  say(status, "Waiting for the first rows…");
  const stop = ticker(drawExport);
  let failure;
  let refused = false;
  try {
    const res = await fetch(url, { signal: controller.signal });
    if (!res.ok) {
      refused = true;
      failure = await describeRefusal(res);
    } else {
      const announced = res.headers.get("x-total-rows");
      if (announced !== null) job.total = job.rowsBefore + Number(announced);
      say(status, "Receiving…");
      await pump(res, reader, job);
    }
  } catch (error) {
    failure = controller.signal.aborted ? "cancelled" : error.message;
  }
  job.runEnded = performance.now();
  if (job.first === undefined && reader.rows > 0) job.first = reader;
  stop();
  setExportRunning(false);
  finishExport(job, failure, refused);
}

/** Says honestly how the request ended, and offers a resume when one is possible. */
function finishExport(job, failure, refused) {
  const { reader } = job;
  const status = $("export-status");
  const count = job.rowsBefore + reader.rows;
  const rows = `${formatCount(count)} ${count === 1 ? "row" : "rows"}`;
  let outcome = "failed";
  let text;
  if (reader.error !== undefined) {
    text = `The server failed after ${rows}: ${reader.error.detail}`;
  } else if (refused) {
    text = `The server refused the export: ${failure}`;
  } else if (failure === "cancelled") {
    outcome = "cancelled";
    text = `Cancelled after ${rows}; the server stopped sending.`;
  } else if (failure !== undefined) {
    text = `The stream broke after ${rows} (${formatBytes(job.bytes)}): ` +
      `the server ended the transfer before the export was complete (${failure}).`;
  } else if (job.plan.format === "json" && !reader.closed) {
    text = `The stream ended after ${rows} without closing the JSON array: it was cut short.`;
  } else if (reader.incomplete !== "") {
    text = `The stream ended in the middle of a row, after ${rows} complete.`;
  } else {
    outcome = "complete";
    const elapsed = job.elapsedBefore + job.runEnded - job.runStarted;
    text = `Complete: ${rows}, ${formatBytes(job.bytes)} in ${formatDuration(elapsed)}.`;
  }
  $("exports").dataset.state = outcome;
  // Without an announced count the bar ran indeterminate; settle it.
  if (job.total === undefined) $("export-progress").value = outcome === "complete" ? 1 : 0;
  say(status, text, outcome === "complete" ? "ok" : outcome === "failed" ? "error" : "");
  if (outcome === "complete") return;
  // Where to continue: the server's own word in an error record, else the last complete row.
  const after = reader.rows === 0
    ? job.plan.after
    : reader.error?.after !== undefined
    ? String(reader.error.after)
    : job.key === null
    ? undefined
    : reader.lastValue(job.key);
  if (reader.rows > 0 && after === undefined) {
    status.append(
      job.key === null
        ? " This table has no integer key, so it cannot be resumed."
        : ` Include the ${job.key} column to be able to resume.`,
    );
    return;
  }
  job.next = reader.rows === 0 ? job.plan : resumePlan(job.plan, after, reader.rows);
  const resume = $("export-resume");
  resume.textContent = after === undefined ? "Retry" : `Resume after ${job.key} ${after}`;
  resume.hidden = false;
}

function resumeExport() {
  job.rowsBefore += job.reader.rows;
  job.elapsedBefore += job.runEnded - job.runStarted;
  job.plan = job.next;
  runExport(job);
}

// ---------------------------------------------------------------- Live stream

let live;

async function startLive(rows) {
  const status = $("live-status");
  const url = `/stream-data?rows=${rows}`;
  live = {
    controller: new AbortController(),
    reader: new RowReader("text", { previewRows: 0 }),
    bytes: 0,
    total: undefined,
    started: performance.now(),
    ended: undefined,
    meter: new RateMeter(),
  };
  const current = live;
  $("live-start").disabled = true;
  $("live-stop").disabled = false;
  $("live").dataset.state = "running";
  say(status, `GET ${url}`);
  const stop = ticker(() => drawLive(current));
  let outcome = "complete";
  try {
    const res = await fetch(url, { signal: current.controller.signal });
    if (!res.ok) throw new Error(await describeRefusal(res));
    current.total = Number(res.headers.get("x-total-rows"));
    await pump(res, current.reader, current);
  } catch (error) {
    outcome = current.controller.signal.aborted ? "cancelled" : "failed";
    if (outcome === "cancelled") say(status, "Stopped; the server saw the connection close.");
    else say(status, `The stream failed: ${error.message}`, "error");
  }
  current.ended = performance.now();
  stop();
  $("live-start").disabled = false;
  $("live-stop").disabled = true;
  $("live").dataset.state = outcome;
  if (outcome === "complete") {
    const seconds = (current.ended - current.started) / 1000;
    const average = Math.round(current.reader.rows / Math.max(seconds, 0.001));
    say(
      status,
      `Done: ${formatCount(current.reader.rows)} lines in ${formatDuration(seconds * 1000)}, ${
        formatCount(average)
      } rows/s on average.`,
      "ok",
    );
  }
}

function drawLive(current) {
  const now = current.ended ?? performance.now();
  const rows = current.reader.rows;
  current.meter.add(now, rows);
  figure($("live-count"), rows, formatCount(rows));
  figure($("live-bytes"), current.bytes, formatBytes(current.bytes));
  $("live-rate").textContent = formatCount(Math.round(current.meter.rate()));
  $("live-time").textContent = formatDuration(now - current.started);
  if (current.total) $("live-progress").value = rows / current.total;
  $("live-last").textContent = current.reader.lastRecord;
}

// ---------------------------------------------------------------- Wiring

$("export-table").addEventListener("change", showColumns);
$("export-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const plan = planFromForm();
  if (typeof plan === "string") say($("export-status"), plan, "error");
  else startExport(plan);
});
$("export-cancel").addEventListener("click", () => job?.controller.abort());
$("export-resume").addEventListener("click", resumeExport);
$("live-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const rows = $("live-rows").value;
  if (/^\d+$/.test(rows)) startLive(Number(rows));
  else say($("live-status"), "Rows is a whole number.", "error");
});
$("live-stop").addEventListener("click", () => live?.controller.abort());
addEventListener("hashchange", () => {
  if (location.hash.startsWith("#/media/")) showFolder(currentFolder());
});

showFolder(currentFolder());
loadTables();
