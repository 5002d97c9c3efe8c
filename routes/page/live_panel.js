/**
 * The /stream-data panel: generated lines counted and timed as they arrive.
 *
 * @module
 */

import { api } from "./access.js";
import { $, describeRefusal, figure, pump, say, ticker } from "./dom.js";
import { formatBytes, formatCount, formatDuration, RateMeter, RowReader } from "./page_logic.js";

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
    const res = await api(url, { signal: current.controller.signal });
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

/** Wires the form's Start and Stop. */
export function startLivePanel() {
  $("live-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const rows = $("live-rows").value;
    if (/^\d+$/.test(rows)) startLive(Number(rows));
    else say($("live-status"), "Rows is a whole number.", "error");
  });
  $("live-stop").addEventListener("click", () => live?.controller.abort());
}
