/**
 * One export request watched to its end: the figures and first rows redrawn
 * as the body arrives, then an honest account of how it ended and, when it
 * can be, the plan that resumes it. export_panel.js owns the form and the job.
 *
 * @module
 */

import { api, signAnchors } from "./access.js";
import { $, describeRefusal, figure, h, pump, say, ticker } from "./dom.js";
import {
  exportUrl,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  resumeColumns,
  resumePlan,
  resumeToken,
  RowReader,
} from "./page_logic.js";

function setExportRunning(running) {
  $("export-start").disabled = running;
  $("export-cancel").disabled = !running;
  $("export-resume").hidden = true;
  $("exports").dataset.state = running ? "running" : $("exports").dataset.state;
}

function drawExport(job) {
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
  // The count is of the rows the filters keep; without one there is no percentage to show.
  $("export-percent").textContent = job.total === undefined
    ? "—"
    : formatPercent(job.total === 0 ? 1 : rows / job.total);
  if (job.total !== undefined) progress.value = job.total === 0 ? 1 : rows / job.total;
  else if (running) progress.removeAttribute("value"); // indeterminate
  drawPreview(job);
}

/** Renders the first rows once, then again only while there are fewer than the preview holds. */
function drawPreview(job) {
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

/** Sends one request of a job (the first, or a resume) and watches it to its end. */
export async function runExport(job) {
  const status = $("export-status");
  const url = exportUrl(job.plan);
  const reader = (job.reader = new RowReader(job.plan.format));
  const controller = (job.controller = new AbortController());
  job.runStarted = performance.now();
  job.runEnded = undefined;
  $("export-url").textContent = `GET ${url}`;
  $("export-download").dataset.path = url;
  $("export-download").href = url;
  // The browser follows this link itself: with a token, a signed link.
  signAnchors($("export-download").parentElement).catch(() => {});
  $("export-download").hidden = false;
  setExportRunning(true);
  say(status, "Waiting for the first rows…");
  const stop = ticker(() => drawExport(job));
  let failure;
  let refused = false;
  try {
    const res = await api(url, { signal: controller.signal });
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
  // Where to continue: the server's own word in an error record, else the
  // last complete row's values in the order's columns, key last (a resume
  // token; without an order, the key alone).
  const columns = resumeColumns(job.plan.order, job.key);
  const values = reader.lastValues(columns);
  const after = reader.rows === 0
    ? job.plan.after
    : reader.error?.after !== undefined
    ? String(reader.error.after)
    : job.key === null || values === undefined
    ? undefined
    : resumeToken(values);
  if (reader.rows > 0 && after === undefined) {
    status.append(
      job.key === null
        ? " This table has no integer key, so it cannot be resumed."
        : ` Include the ${columns.join(", ")} column${
          columns.length === 1 ? "" : "s"
        } to be able to resume.`,
    );
    return;
  }
  job.next = reader.rows === 0 ? job.plan : resumePlan(job.plan, after, reader.rows);
  const resume = $("export-resume");
  resume.textContent = after === undefined
    ? "Retry"
    : `Resume after ${columns.join(", ")} ${after}`;
  resume.hidden = false;
}
