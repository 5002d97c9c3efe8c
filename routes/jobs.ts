/**
 * Prepared exports: `POST /jobs` queues an export that runs in the
 * background, `GET /jobs[/{id}]` shows jobs, `/jobs/{id}/events` streams a
 * job's progress as Server-Sent Events, `/jobs/{id}/result` serves the
 * finished file like a media file (ranges, validators) with its digest, and
 * `DELETE /jobs/{id}` cancels or deletes.
 *
 * @module
 */

import type { CompressionOptions } from "../lib/http/compression.ts";
import type { ExportSource } from "../lib/export/export_source.ts";
import { serveFile } from "../lib/files/serve_file.ts";
import { attachment } from "../lib/http/content_disposition.ts";
import { HttpError } from "../lib/http/http_error.ts";
import { preferredType } from "../lib/http/negotiate.ts";
import { requestClient } from "../lib/http/request_client.ts";
import { mayUse, ownerOf, principalOf } from "../lib/access/principal.ts";
import { allows } from "../lib/access/scopes.ts";
import type { Handler, RouteAccess, RouteSpec } from "../lib/http/router.ts";
import { jobEvents, type JobEventsOptions } from "../lib/jobs/job_events.ts";
import type { JobManager, JobView } from "../lib/jobs/job_manager.ts";
import { readJobSpec } from "../lib/jobs/job_spec.ts";
import { jobJson, jobsHtml, resultName } from "../lib/jobs/job_view.ts";

/** Options for {@linkcode jobsRoutes}. */
export interface JobsOptions {
  jobs: JobManager;
  /** The database jobs export from. */
  source: ExportSource;
  /** What the pipeline compresses with (results opt out: their digest is of the file). */
  compression?: CompressionOptions;
  /** Pace and heartbeat of the event streams. */
  events?: JobEventsOptions;
  /** Whether CSV jobs are formula-safe unless asked otherwise (`--csv-safe`). @default false */
  csvSafe?: boolean;
  /** Filters and order columns one job may have (`--export-max-filters`). @default 16 */
  maxFilters?: number;
}

const NO_STORE = { "cache-control": "no-store" };

/**
 * The jobs routes.
 *
 * @param options The manager and the database.
 * @returns The routes.
 */
export function jobsRoutes(options: JobsOptions): RouteSpec[] {
  // With access control on, jobs belong to the token that made them (lib/access/principal.ts),
  // and POST /sign gives links only to the caller's own.
  const JOBS: RouteAccess = {
    scope: "jobs",
    mayLink: (req, params) => {
      const job = params.id === undefined ? undefined : options.jobs.get(params.id);
      return job === undefined || mayUse(req, job.owner);
    },
  };
  return [
    {
      name: "jobs",
      methods: ["GET", "POST"],
      pathname: "/jobs",
      handler: jobsHandler(options),
      access: JOBS,
    },
    {
      name: "jobs",
      methods: ["GET", "DELETE"],
      pathname: "/jobs/:id",
      handler: jobHandler(options),
      access: JOBS,
    },
    {
      name: "job-events",
      methods: ["GET"],
      pathname: "/jobs/:id/events",
      handler: eventsHandler(options),
      access: JOBS,
    },
    {
      name: "job-result",
      methods: ["GET"],
      pathname: "/jobs/:id/result",
      handler: resultHandler(options),
      streaming: true,
      access: JOBS,
    },
  ];
}

/** `POST /jobs` (create) and `GET /jobs` (list, newest first). */
function jobsHandler({ jobs, source, csvSafe, maxFilters }: JobsOptions): Handler {
  return async (req) => {
    if (req.method !== "POST") {
      const type = preferredType(req, ["application/json", "text/html"]);
      if (type === undefined) {
        throw new HttpError(406, "The jobs list is available as application/json or text/html");
      }
      const list = jobs.list().filter((job) => mayUse(req, job.owner));
      const headers = { ...NO_STORE, vary: "accept" };
      if (type === "application/json") {
        return Response.json({ jobs: list.map((job) => jobJson(job)) }, { headers });
      }
      return new Response(jobsHtml(list), {
        headers: { ...headers, "content-type": "text/html; charset=utf-8" },
      });
    }
    const key = req.headers.get("idempotency-key");
    if (key !== null && !/^[\x21-\x7e]{1,255}$/.test(key)) {
      throw new HttpError(400, "Idempotency-Key must be 1 to 255 visible ASCII characters");
    }
    const spec = await readJobSpec(req, source, { csvSafe, maxFilters });
    // A job is an export: a token limited to some tables does not get others this way.
    const principal = principalOf(req);
    if (
      principal?.kind === "token" &&
      !allows(principal.scopes, { scope: "export", resource: spec.table })
    ) {
      throw new HttpError(403, `The token "${principal.name}" has no export:${spec.table} scope`);
    }
    const owner = ownerOf(req, requestClient(req));
    const { job, created } = jobs.create(spec, owner, key ?? undefined);
    const location = `/jobs/${job.id}`;
    // A plain HTML form (no script) goes on to the list, where the job shows.
    if (
      req.headers.get("content-type")?.startsWith("application/x-www-form-urlencoded") &&
      preferredType(req, ["application/json", "text/html"]) === "text/html"
    ) {
      return new Response(null, { status: 303, headers: { location: "/jobs" } });
    }
    return Response.json(jobJson(job), {
      status: created ? 202 : 200,
      headers: { ...NO_STORE, location },
    });
  };
}

/** `GET /jobs/{id}` and `DELETE /jobs/{id}`. */
function jobHandler({ jobs }: JobsOptions): Handler {
  return async (req, params) => {
    const job = findJob(jobs, req, params.id);
    if (req.method === "DELETE") {
      await jobs.remove(job.id);
      return new Response(null, { status: 204 });
    }
    gone(job);
    return Response.json(jobJson(job), { headers: NO_STORE });
  };
}

/** `GET /jobs/{id}/events`: Server-Sent Events. */
function eventsHandler({ jobs, events }: JobsOptions): Handler {
  return (req, params) => {
    const job = findJob(jobs, req, params.id);
    const headers = {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform keeps the pipeline (and proxies) from compressing, which would buffer events.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    };
    // HEAD: the headers only, without starting a stream (and its timers) nobody reads.
    if (req.method === "HEAD") return new Response(null, { headers });
    const body = jobEvents(jobs, job.id, req.headers.get("last-event-id"), events);
    if (body === undefined) return new Response(null, { status: 204, headers: NO_STORE });
    return new Response(body, { headers });
  };
}

/** `GET|HEAD /jobs/{id}/result`: the file, with Range, validators and Repr-Digest. */
function resultHandler({ jobs }: JobsOptions): Handler {
  return async (req, params) => {
    const job = findJob(jobs, req, params.id);
    gone(job);
    if (job.state !== "done" || job.digest === null) {
      throw new HttpError(409, `Job ${job.id} is ${job.state}; its result is not ready`, {
        extensions: { state: job.state, rows: job.rows, job: `/jobs/${job.id}` },
        headers: { "retry-after": "5" },
      });
    }
    const res = await serveFile(req, jobs.resultPath(job), {
      downloadAs: resultName(job),
      // The file never changes under its URL; no-transform keeps it byte for byte what
      // Repr-Digest describes (it is not compressed on the way).
      cacheControl: "private, max-age=3600, no-transform",
    });
    if (res.status === 200 || res.status === 206) {
      res.headers.set("repr-digest", job.digest);
      // As the live export names its download (serveFile's form leaves plain names unquoted).
      res.headers.set("content-disposition", attachment(resultName(job)));
    }
    return res;
  };
}

/** The job named in the path: 404 for none (or a malformed id). */
function findJob(jobs: JobManager, req: Request, id: string | undefined): JobView {
  const job = id !== undefined && /^[0-9a-f-]{36}$/.test(id) ? jobs.get(id) : undefined;
  // Another token's job is not there, as far as this one can tell.
  if (job === undefined || !mayUse(req, job.owner)) {
    throw new HttpError(404, `No job ${JSON.stringify(id ?? "")}`);
  }
  return job;
}

/** 410 for a job whose result expired. */
function gone(job: JobView): void {
  if (job.state === "expired") {
    throw new HttpError(410, `Job ${job.id} finished more than --jobs-ttl ago; its result is gone`);
  }
}
