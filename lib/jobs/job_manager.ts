/**
 * Runs prepared exports in the background: a queue in creation order, at most
 * `concurrency` at once, each written by {@linkcode writeResult} and kept in
 * the {@linkcode JobStore}. On start it picks up the jobs a previous run left
 * queued or running, from their last checkpoints.
 *
 * @module
 */

import type { ExportSource } from "../export/export_source.ts";
import { HttpError } from "../http/http_error.ts";
import { parseRowSelection } from "../export/row_selection.ts";
import { openExportBody } from "./export_body.ts";
import type { JobSpec } from "./job_spec.ts";
import { type JobChange, type JobRecord, type JobState, JobStore } from "./job_store.ts";
import { writeResult } from "./write_result.ts";

/** Options for {@linkcode JobManager.open}. */
export interface JobManagerOptions {
  /** The folder for `jobs.db` and `jobs/` (created if absent). */
  dataDir: string;
  source: ExportSource;
  /** Jobs run at once; more wait in order. */
  concurrency: number;
  /** Bytes all results and part files may use (0: no cap). */
  maxBytes: number;
  /** Seconds a finished job is kept (0: forever). */
  ttlSeconds: number;
  /** Queued jobs one owner may have (0: no cap). */
  maxQueuedPerOwner: number;
  /** Least time between checkpoints. @default 1000 */
  checkpointMs?: number;
  /** Where failures the client sees only as "see the server log" are logged. @default console.error */
  log?: (message: string) => void;
}

/** A job as the routes see it: stored fields with the live progress merged in. */
export interface JobView extends JobRecord {
  /** Increases with every change: the SSE event id. */
  version: number;
}

/** Counts for metrics. */
export interface JobStats {
  byState: Record<JobState, number>;
  queued: number;
  rowsWritten: number;
  bytesWritten: number;
}

/** What a running job holds in memory. */
interface Running {
  controller: AbortController;
  finished: Promise<void>;
  rows: number;
  bytes: number;
  total: number | null;
}

const DRAIN = "drain";
const FINISHED: JobState[] = ["done", "failed", "cancelled"];

/** The background jobs of one server. */
export class JobManager {
  readonly #options: JobManagerOptions;
  readonly #store: JobStore;
  readonly #dir: string;
  readonly #queue: string[] = [];
  readonly #running = new Map<string, Running>();
  readonly #versions = new Map<string, number>();
  readonly #listeners = new Map<string, Set<(job: JobView | undefined) => void>>();
  readonly #stopping = new AbortController();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closing = false;
  #rowsWritten = 0;
  /** Bytes of done results and queued part files; undefined when it must be counted again. */
  #settledBytes: number | undefined;
  #bytesWritten = 0;

  private constructor(options: JobManagerOptions, store: JobStore) {
    this.#options = options;
    this.#store = store;
    this.#dir = `${options.dataDir}/jobs`;
  }

  /**
   * Opens the jobs database and resumes what a previous run left.
   *
   * @param options The data folder, the database and the limits.
   * @returns The manager, running.
   */
  static async open(options: JobManagerOptions): Promise<JobManager> {
    await Deno.mkdir(`${options.dataDir}/jobs`, { recursive: true });
    const manager = new JobManager(options, new JobStore(`${options.dataDir}/jobs.db`));
    for (const job of manager.#store.list().reverse()) {
      // A job "running" here was stopped by a kill: it goes back in the queue.
      if (job.state === "running") manager.#store.update(job.id, { state: "queued" });
      if (job.state === "running" || job.state === "queued") manager.#queue.push(job.id);
    }
    // Files of jobs the database does not hold (a kill during a DELETE) are removed.
    for await (const entry of Deno.readDir(manager.#dir)) {
      const id = entry.name.slice(0, entry.name.indexOf("."));
      if (entry.isFile && manager.#store.get(id) === undefined) {
        await Deno.remove(`${manager.#dir}/${entry.name}`);
      }
    }
    manager.#sweep();
    if (options.ttlSeconds > 0) {
      const sweeper = setInterval(() => manager.#sweep(), Math.min(options.ttlSeconds, 60) * 1000);
      Deno.unrefTimer(sweeper);
      manager.#sweeper = sweeper;
    }
    manager.#pump();
    return manager;
  }

  /**
   * Queues a job, or returns the one this owner made with the same Idempotency-Key.
   *
   * @throws {HttpError} 422 for a key reused with another spec, 429 for an
   *   owner with too many queued jobs, 507 while the disk quota is used up.
   */
  create(
    spec: JobSpec,
    owner: string,
    idempotencyKey?: string,
  ): { job: JobView; created: boolean } {
    if (idempotencyKey !== undefined) {
      const earlier = this.#store.findByKey(owner, idempotencyKey);
      if (earlier !== undefined) {
        if (JSON.stringify(earlier.spec) !== JSON.stringify(spec)) {
          throw new HttpError(
            422,
            `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used for another request`,
            { extensions: { job: earlier.id } },
          );
        }
        return { job: this.get(earlier.id)!, created: false };
      }
    }
    const { maxQueuedPerOwner, maxBytes } = this.#options;
    if (maxQueuedPerOwner > 0) {
      const queued = this.#queue.filter((id) => this.#store.get(id)?.owner === owner).length;
      if (queued >= maxQueuedPerOwner) {
        throw new HttpError(429, `This client has ${queued} jobs queued already`, {
          headers: { "retry-after": "10" },
        });
      }
    }
    if (maxBytes > 0 && this.#used() >= maxBytes) {
      throw new HttpError(
        507,
        `Prepared results use the whole quota of ${maxBytes} bytes; ` +
          "delete some (DELETE /jobs/{id}) or wait for them to expire",
      );
    }
    const job = this.#store.insert(crypto.randomUUID(), owner, spec, idempotencyKey ?? null);
    this.#queue.push(job.id);
    this.#emit(job.id);
    this.#pump();
    return { job: this.get(job.id)!, created: true };
  }

  /** A job with its live progress; an expired TTL expires it here. */
  get(id: string): JobView | undefined {
    const job = this.#store.get(id);
    if (job === undefined) return undefined;
    if (this.#isStale(job)) {
      this.#expire(job);
      return this.get(id);
    }
    const running = this.#running.get(id);
    const live = running === undefined
      ? job
      : { ...job, rows: running.rows, bytes: running.bytes, total: running.total };
    return { ...live, version: this.#version(job) };
  }

  /** Every job, newest first. */
  list(): JobView[] {
    return this.#store.list().map((job) => this.get(job.id)).filter((j) => j !== undefined);
  }

  /** Where a done job's result is. */
  resultPath(job: JobRecord): string {
    return `${this.#dir}/${job.id}.${job.spec.format}${job.spec.gzip ? ".gz" : ""}`;
  }

  /**
   * Cancels a queued or running job (its query is released at once), or
   * deletes a finished one with its result.
   *
   * @returns What happened, or undefined for no such job.
   */
  async remove(id: string): Promise<"cancelled" | "deleted" | undefined> {
    const job = this.#store.get(id);
    if (job === undefined) return undefined;
    if (job.state === "queued" || job.state === "running") {
      const running = this.#running.get(id);
      if (running !== undefined) {
        running.controller.abort("cancelled");
        await running.finished;
      } else {
        const at = this.#queue.indexOf(id);
        if (at !== -1) this.#queue.splice(at, 1);
        this.#finish(id, { state: "cancelled" });
        await this.#removeFiles(job);
      }
      return "cancelled";
    }
    await this.#removeFiles(job);
    this.#store.delete(id);
    this.#settledBytes = undefined;
    this.#emit(id);
    this.#listeners.delete(id);
    return "deleted";
  }

  /** Aborted when the server starts to stop: event streams end then. */
  get stopping(): AbortSignal {
    return this.#stopping.signal;
  }

  /**
   * Calls `listener` with the job after each change (progress, state), or
   * with undefined once it is deleted, until the returned function is called.
   */
  subscribe(id: string, listener: (job: JobView | undefined) => void): () => void {
    let set = this.#listeners.get(id);
    if (set === undefined) this.#listeners.set(id, set = new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Counts by state, the queue's length, and what jobs wrote since start. */
  stats(): JobStats {
    const byState = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, expired: 0 };
    for (const job of this.#store.list()) byState[job.state]++;
    return {
      byState,
      queued: this.#queue.length,
      rowsWritten: this.#rowsWritten,
      bytesWritten: this.#bytesWritten,
    };
  }

  /**
   * Stops every running job at a checkpoint (they resume on the next start)
   * and ends the event streams; the jobs stay readable until {@linkcode close}.
   */
  async stop(): Promise<void> {
    this.#closing = true;
    this.#stopping.abort();
    clearInterval(this.#sweeper);
    const running = [...this.#running.values()];
    for (const job of running) job.controller.abort(DRAIN);
    await Promise.all(running.map((job) => job.finished));
  }

  /** Stops, and closes the database. */
  async close(): Promise<void> {
    await this.stop();
    this.#store[Symbol.dispose]();
  }

  #pump(): void {
    while (!this.#closing && this.#running.size < this.#options.concurrency) {
      const id = this.#queue.shift();
      if (id === undefined) return;
      const job = this.#store.get(id);
      if (job?.state === "queued") this.#start(job);
    }
  }

  #start(job: JobRecord): void {
    const { spec } = job;
    const running: Running = {
      controller: new AbortController(),
      finished: Promise.resolve(),
      rows: job.checkpoint?.rows ?? 0,
      bytes: job.checkpoint?.bytes ?? 0,
      total: job.total,
    };
    this.#running.set(job.id, running);
    if (job.checkpoint !== null) {
      this.#log(
        `job ${job.id} resumes after row ${job.checkpoint.rows} (byte ${job.checkpoint.bytes})`,
      );
    }
    this.#store.update(job.id, { state: "running", started: job.started ?? Date.now() });
    this.#settledBytes = undefined;
    this.#emit(job.id);
    const partPath = `${this.#dir}/${job.id}.part`;
    running.finished = writeResult({
      open: async (from) => {
        const done = from?.rows ?? 0;
        // Filters, order and the token are read again against today's schema: a
        // table changed since the job was asked for fails it with the 400's reason.
        const selection = parseRowSelection(
          {
            params: new URLSearchParams(spec.filters ?? ""),
            order: spec.order ?? null,
            after: from?.after ?? spec.after ?? null,
          },
          await this.#options.source.describeTable(spec.table),
          { maxFilters: Infinity },
        );
        const body = await openExportBody(this.#options.source, {
          table: spec.table,
          columns: spec.columns,
          key: spec.key,
          format: spec.format,
          ...selection,
          limit: spec.limit === undefined ? undefined : spec.limit - done,
          bom: spec.bom,
          safe: spec.safe,
          count: spec.count,
          continuesAfter: from?.rows,
        });
        if (body.total !== undefined) {
          running.total = done + body.total;
          this.#store.update(job.id, { total: running.total });
        }
        return body;
      },
      partPath,
      resultPath: this.resultPath(job),
      gzip: spec.gzip,
      from: job.checkpoint ?? undefined,
      signal: running.controller.signal,
      checkpointMs: this.#options.checkpointMs,
      onProgress: (rows, bytes) => {
        this.#rowsWritten += Math.max(0, rows - running.rows);
        this.#bytesWritten += Math.max(0, bytes - running.bytes);
        running.rows = rows;
        running.bytes = bytes;
        this.#emit(job.id);
      },
      onCheckpoint: (checkpoint) => {
        this.#store.update(job.id, { rows: checkpoint.rows, bytes: checkpoint.bytes, checkpoint });
      },
      reserve: (bytes) => {
        const { maxBytes } = this.#options;
        if (maxBytes > 0 && this.#used() + bytes > maxBytes) {
          throw new HttpError(
            507,
            `The result would pass the quota of ${maxBytes} bytes for prepared results`,
          );
        }
      },
    }).then(
      (result) => {
        this.#finish(job.id, {
          state: "done",
          rows: result.rows,
          bytes: running.bytes,
          size: result.size,
          digest: result.digest,
          checkpoint: null,
        });
      },
      async (error) => {
        const reason = running.controller.signal.reason;
        if (reason === DRAIN) {
          // Its checkpoint was written as it stopped: the next start resumes it.
          this.#store.update(job.id, { state: "queued" });
          this.#settledBytes = undefined;
          return;
        }
        await this.#removeFiles(job);
        if (reason === "cancelled") {
          this.#finish(job.id, {
            state: "cancelled",
            rows: running.rows,
            bytes: running.bytes,
            checkpoint: null,
          });
          return;
        }
        if (!(error instanceof HttpError)) {
          this.#log(`job ${job.id} failed: ${(error as Error)?.stack ?? error}`);
        }
        this.#finish(job.id, {
          state: "failed",
          rows: running.rows,
          bytes: running.bytes,
          checkpoint: null,
          error: error instanceof HttpError
            ? error.message
            : `The export failed after ${running.rows} rows; see the server log`,
        });
      },
    ).finally(() => {
      this.#running.delete(job.id);
      this.#pump();
    });
  }

  #log(message: string): void {
    (this.#options.log ?? console.error)(message);
  }

  #finish(id: string, change: JobChange): void {
    this.#settledBytes = undefined;
    const finished = Math.max(Date.now(), (this.#versions.get(id) ?? 0) + 1);
    this.#store.update(id, { ...change, finished });
    this.#versions.set(id, finished);
    this.#running.delete(id);
    this.#emit(id, false);
  }

  #version(job: JobRecord): number {
    return this.#versions.get(job.id) ?? job.finished ?? job.created;
  }

  #emit(id: string, bump = true): void {
    if (bump) this.#versions.set(id, Math.max(Date.now(), (this.#versions.get(id) ?? 0) + 1));
    const listeners = this.#listeners.get(id);
    if (listeners === undefined || listeners.size === 0) return;
    const job = this.get(id);
    for (const listener of [...listeners]) listener(job);
    if (job === undefined) this.#listeners.delete(id);
  }

  /** Bytes on disk: finished results, and what running jobs have written. */
  #used(): number {
    // Kept between calls (reserve() asks at every chunk); any state change clears it.
    this.#settledBytes ??= this.#store.list().reduce(
      (sum, job) =>
        sum +
        (job.state === "done"
          ? job.size ?? 0
          : job.state === "queued"
          ? job.checkpoint?.bytes ?? 0
          : 0),
      0,
    );
    let used = this.#settledBytes;
    for (const running of this.#running.values()) used += running.bytes;
    return used;
  }

  #isStale(job: JobRecord): boolean {
    const { ttlSeconds } = this.#options;
    return ttlSeconds > 0 && FINISHED.includes(job.state) && job.finished !== null &&
      Date.now() - job.finished > ttlSeconds * 1000;
  }

  #expire(job: JobRecord): void {
    this.#store.update(job.id, { state: "expired" });
    this.#settledBytes = undefined;
    this.#removeFiles(job).catch(() => {});
  }

  #sweep(): void {
    const ttl = this.#options.ttlSeconds * 1000;
    for (const job of this.#store.list()) {
      if (this.#isStale(job)) this.#expire(job);
      // An expired job answers 410 for another TTL, then is forgotten (404): the list stays short.
      else if (job.state === "expired" && Date.now() - (job.finished ?? 0) > 2 * ttl) {
        this.#store.delete(job.id);
      }
    }
  }

  async #removeFiles(job: JobRecord): Promise<void> {
    const result = this.resultPath(job);
    for (const path of [`${this.#dir}/${job.id}.part`, result, `${result}.part`]) {
      try {
        await Deno.remove(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
}
