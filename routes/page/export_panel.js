/**
 * The exports panel: pick a table, columns, filters, order, format and limit
 * (the URL it will fetch shown as it is built), then watch the rows arrive,
 * cancel, and resume after the last complete row when the stream breaks.
 *
 * @module
 */

import { api } from "./access.js";
import { $, describeRefusal, h, say } from "./dom.js";
import { readBuilder, showBuilder, startBuilder } from "./export_filters.js";
import { runExport } from "./export_run.js";
import { exportUrl, formatCount, RateMeter } from "./page_logic.js";

/** The tables from /export/, by name. */
const tables = new Map();
/** The export on screen, across its resumes. */
let job;

async function loadTables() {
  const status = $("export-status");
  try {
    const res = await api("/export/", { headers: { accept: "application/json" } });
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
  showBuilder(table);
  showUrl();
}

/** The URL the form describes, shown before it is fetched (a running export shows its own). */
function showUrl() {
  if ($("exports").dataset.state === "running") return;
  const plan = planFromForm();
  $("export-url").textContent = typeof plan === "string" ? "" : `GET ${exportUrl(plan)}`;
}

/** The formula defusing is a CSV option: offered while CSV is chosen. */
function offerSafe() {
  $("export-safe").disabled = $("export-form").elements.format.value !== "csv";
}

/** The plan the form describes, or a message saying what is missing. */
export function planFromForm() {
  const form = $("export-form");
  const table = tables.get(form.elements.table.value);
  if (table === undefined) return "Pick a table.";
  const boxes = [...form.querySelectorAll("input[name=column]")];
  const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
  if (chosen.length === 0) return "Pick at least one column.";
  const limit = $("export-limit").value;
  if (limit !== "" && !/^\d+$/.test(limit)) return "The limit is a whole number of rows.";
  const format = form.elements.format.value;
  const built = readBuilder();
  if (typeof built === "string") return built;
  return {
    table: table.name,
    format,
    // Only CSV has formulas to defuse; unchecked leaves the server's default.
    safe: format === "csv" && form.elements.safe.checked ? true : undefined,
    // Every column: leave the URL short (and safe for names with commas).
    columns: chosen.length === boxes.length ? undefined : chosen,
    limit: limit === "" ? undefined : Number(limit),
    filters: built.filters.length === 0 ? undefined : built.filters,
    order: built.order.length === 0 ? undefined : built.order,
  };
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

function resumeExport() {
  job.rowsBefore += job.reader.rows;
  job.elapsedBefore += job.runEnded - job.runStarted;
  job.plan = job.next;
  runExport(job);
}

/** Lists the tables and wires the form. */
export function startExportPanel() {
  $("export-table").addEventListener("change", showColumns);
  $("export-form").addEventListener("change", offerSafe);
  $("export-form").addEventListener("change", showUrl);
  $("export-form").addEventListener("input", showUrl);
  offerSafe();
  startBuilder();
  $("export-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const plan = planFromForm();
    if (typeof plan === "string") say($("export-status"), plan, "error");
    else startExport(plan);
  });
  $("export-cancel").addEventListener("click", () => job?.controller.abort());
  $("export-resume").addEventListener("click", resumeExport);
  loadTables();
}
