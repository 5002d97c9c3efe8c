/**
 * Prepared exports on the page: "Prepare in background" posts the export form
 * as a job (POST /jobs), and the jobs list follows each job's progress through
 * its event stream (/jobs/{id}/events), with cancel, delete, and the finished
 * file's download link, size and digest.
 *
 * @module
 */

import { api, signAnchors, signedLink } from "./access.js";
import { $, describeRefusal, h, say } from "./dom.js";
import { planFromForm } from "./export_panel.js";
import { filterQuery, formatBytes, formatCount, orderValue } from "./page_logic.js";

/** Open event streams, by job id. */
const streams = new Map();
const FINAL = new Set(["done", "failed", "cancelled", "expired"]);

/** One job as a list item, redrawn from its JSON. */
function render(job) {
  const total = job.totalRows === null ? "" : ` of ${formatCount(job.totalRows)}`;
  const name = `${job.table}.${job.format}${job.gzip ? ".gz" : ""}`;
  const parts = [
    h("strong", {}, name),
    h("span", { class: "job-state" }, job.state),
    h(
      "span",
      { class: "job-rows", "data-value": job.rows },
      `${formatCount(job.rows)}${total} rows`,
    ),
  ];
  if (!FINAL.has(job.state)) {
    parts.push(
      h("progress", {
        max: job.totalRows ?? 1,
        value: job.totalRows === null ? undefined : job.rows,
        "aria-label": `Progress of ${name}`,
      }),
      h("button", { type: "button", class: "job-cancel", onclick: () => remove(job) }, "Cancel"),
    );
  } else {
    if (job.result !== null) {
      parts.push(
        h(
          "a",
          {
            class: "job-download",
            href: job.result.url,
            "data-path": job.result.url,
            download: job.result.filename,
          },
          `Download ${job.result.filename}`,
        ),
        h(
          "span",
          { class: "job-size", "data-value": job.result.size },
          formatBytes(job.result.size),
        ),
        h("code", { class: "job-digest", title: "Repr-Digest (SHA-256)" }, job.result.digest),
      );
    }
    if (job.error) parts.push(h("span", { class: "job-error" }, job.error));
    parts.push(
      h("button", { type: "button", class: "job-delete", onclick: () => remove(job) }, "Delete"),
    );
  }
  const item = h("li", { id: `job-${job.id}`, "data-state": job.state }, ...parts);
  // The browser follows the download itself: with a token, a signed link.
  signAnchors(item).catch(() => {});
  const old = $(`job-${job.id}`);
  if (old) old.replaceWith(item);
  else $("jobs-list").prepend(item);
  $("jobs-empty").hidden = true;
}

/** Follows a job until its final event. */
function follow(job) {
  if (FINAL.has(job.state) || streams.has(job.id)) return;
  // EventSource cannot send a token: with one, it follows a signed link.
  const handle = {
    source: undefined,
    close() {
      this.source?.close();
    },
  };
  streams.set(job.id, handle);
  signedLink(job.events).then((url) => {
    if (streams.get(job.id) !== handle) return;
    const source = (handle.source = new EventSource(url));
    const update = (event) => {
      const next = JSON.parse(event.data);
      render(next);
      if (FINAL.has(next.state)) {
        source.close();
        streams.delete(job.id);
      }
    };
    for (const type of ["progress", "done", "failed", "cancelled", "expired"]) {
      source.addEventListener(type, update);
    }
    source.addEventListener("deleted", () => {
      source.close();
      streams.delete(job.id);
      $(`job-${job.id}`)?.remove();
    });
  }).catch(() => streams.delete(job.id));
}

/** Cancels a running job or deletes a finished one. */
async function remove(job) {
  const res = await api(job.url, { method: "DELETE" });
  if (!res.ok) {
    say($("jobs-status"), `Cannot remove the job: ${await describeRefusal(res)}`, "error");
    return;
  }
  if (FINAL.has(job.state)) {
    streams.get(job.id)?.close();
    streams.delete(job.id);
    $(`job-${job.id}`)?.remove();
  } else {
    // The event stream brings the cancelled state; fetch it in case the stream already ended.
    const now = await api(job.url);
    if (now.ok) render(await now.json());
  }
}

async function prepare() {
  const status = $("jobs-status");
  const plan = planFromForm();
  if (typeof plan === "string") return say(status, plan, "error");
  // Filters travel as a query string and the order as `?order=` takes it (lib/jobs/job_spec.ts).
  const body = {
    ...plan,
    filters: plan.filters === undefined ? undefined : filterQuery(plan.filters),
    order: plan.order === undefined ? undefined : orderValue(plan.order),
    gzip: $("export-gzip").checked,
  };
  const res = await api("/jobs", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    return say(status, `The server refused the job: ${await describeRefusal(res)}`, "error");
  }
  const job = await res.json();
  say(
    status,
    `Preparing ${job.table}.${job.format}${job.gzip ? ".gz" : ""} in the background.`,
    "ok",
  );
  render(job);
  follow(job);
}

async function loadJobs() {
  const res = await api("/jobs", { headers: { accept: "application/json" } });
  if (!res.ok) return say($("jobs-status"), await describeRefusal(res), "error");
  const { jobs } = await res.json();
  for (const job of jobs.reverse()) {
    render(job);
    follow(job);
  }
}

/** Wires "Prepare in background" and lists the jobs. */
export function startJobsPanel() {
  $("export-prepare").addEventListener("click", prepare);
  loadJobs();
}
