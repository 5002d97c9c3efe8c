/**
 * A job as clients see it: the JSON of `GET /jobs/{id}` (also each event's
 * data), and the HTML list a browser gets for `GET /jobs`.
 *
 * @module
 */

import type { JobView } from "./job_manager.ts";

/** A job's JSON. */
export interface JobJson {
  id: string;
  state: string;
  table: string;
  format: string;
  columns: string[];
  gzip: boolean;
  limit: number | null;
  after: string | null;
  rows: number;
  totalRows: number | null;
  bytes: number;
  /** Rows per second from start to finish (or now). */
  rate: number | null;
  created: string;
  started: string | null;
  finished: string | null;
  error: string | null;
  url: string;
  events: string;
  result: { url: string; filename: string; size: number; digest: string } | null;
}

const FINAL = new Set(["done", "failed", "cancelled", "expired"]);

/** Whether a job will change no more. */
export function isFinal(state: string): boolean {
  return FINAL.has(state);
}

/**
 * The file name a job's result downloads as: `items.csv`, `items.csv.gz`.
 *
 * @param job The job.
 * @returns The name.
 */
export function resultName(job: Pick<JobView, "spec">): string {
  return `${job.spec.table}.${job.spec.format}${job.spec.gzip ? ".gz" : ""}`;
}

/**
 * A job's JSON.
 *
 * @param job The job.
 * @param now The time, for the rate of a running job. @default Date.now()
 * @returns The JSON object.
 * @example
 * ```ts
 * jobJson(manager.get(id)!).state; // "running"
 * ```
 */
export function jobJson(job: JobView, now = Date.now()): JobJson {
  const url = `/jobs/${job.id}`;
  const seconds = job.started === null ? 0 : ((job.finished ?? now) - job.started) / 1000;
  const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();
  return {
    id: job.id,
    state: job.state,
    table: job.spec.table,
    format: job.spec.format,
    columns: job.spec.columns,
    gzip: job.spec.gzip,
    limit: job.spec.limit ?? null,
    after: job.spec.after ?? null,
    rows: job.rows,
    totalRows: job.total,
    bytes: job.bytes,
    rate: seconds > 0 ? Math.round(job.rows / seconds) : null,
    created: iso(job.created)!,
    started: iso(job.started),
    finished: iso(job.finished),
    error: job.error,
    url,
    events: `${url}/events`,
    result: job.state === "done" && job.size !== null && job.digest !== null
      ? { url: `${url}/result`, filename: resultName(job), size: job.size, digest: job.digest }
      : null,
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The jobs list as a page of its own (the main page has a live one).
 *
 * @param jobs The jobs, newest first.
 * @returns The HTML.
 */
export function jobsHtml(jobs: JobView[]): string {
  const rows = jobs.map((job) => {
    const j = jobJson(job);
    const total = j.totalRows === null ? "" : ` of ${j.totalRows}`;
    const result = j.result === null
      ? escape(j.error ?? "")
      : `<a href="${j.result.url}" download>${
        escape(j.result.filename)
      }</a> ${j.result.size} bytes ` +
        `<code>${escape(j.result.digest)}</code>`;
    return `<tr><td><a href="${j.url}">${j.id.slice(0, 8)}</a></td><td>${
      escape(j.table)
    }.${j.format}` +
      `${
        j.gzip ? ".gz" : ""
      }</td><td>${j.state}</td><td>${j.rows}${total}</td><td>${result}</td></tr>`;
  });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Jobs</title></head>
<body><h1>Prepared exports</h1>
<table><thead><tr><th>Job</th><th>Export</th><th>State</th><th>Rows</th><th>Result</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
}
