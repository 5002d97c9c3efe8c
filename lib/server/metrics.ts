/**
 * Prometheus metrics for requests and streams, through `prom-client`, in the
 * text exposition format (`text/plain; version=0.0.4`).
 *
 * @module
 */

import client from "prom-client";
import type { JobStats } from "../jobs/job_manager.ts";
import type { Outcome } from "./response_meter.ts";

/** Buckets for how long a streamed body took, in seconds: 10 ms to 1 h. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/**
 * Methods that get a label of their own. Any other token a client sends is
 * counted as `other`: each label value is a time series kept forever, so a
 * client must not be able to mint them.
 */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** What {@linkcode Metrics.responseEnded} counts. */
export interface ResponseEnd {
  /** The route's name. */
  route: string;
  /** The request method (counted as `other` unless a common one). */
  method: string;
  status: number;
  /** Body bytes handed to the connection. */
  bytes: number;
  /** Whether the body was a stream counted by `streamStarted()`. */
  streamed: boolean;
  /** How the body ended. */
  outcome: Outcome;
  /** From request to end. */
  seconds: number;
}

/** The series {@linkcode Metrics.responseEnded} counts into for one route, method and status. */
interface Children {
  requests: client.Counter.Internal;
  bytes: client.Counter.Internal;
  duration: client.Histogram.Internal<string>;
  ended: (outcome: Outcome) => client.Counter.Internal;
}

/** Sluice's metrics, in a registry of their own. */
export class Metrics {
  readonly registry = new client.Registry();
  readonly #requests = new client.Counter({
    name: "sluice_requests_total",
    help: "Responses by route, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });
  readonly #bytes = new client.Counter({
    name: "sluice_sent_bytes_total",
    help: "Body bytes handed to connections, by route.",
    labelNames: ["route"] as const,
    registers: [this.registry],
  });
  readonly #active = new client.Gauge({
    name: "sluice_active_streams",
    help: "Streaming response bodies in progress.",
    registers: [this.registry],
  });
  readonly #ended = new client.Counter({
    name: "sluice_streams_total",
    help:
      "Streamed bodies that ended, by outcome (complete, aborted by the client, failed, stalled: cut off when the client stopped taking bytes, evicted: cut off to make room).",
    labelNames: ["route", "outcome"] as const,
    registers: [this.registry],
  });
  readonly #refused = new client.Counter({
    name: "sluice_refused_streams_total",
    help: "Streams refused by --max-streams (503) or --max-streams-per-client (429).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly #accessRefused = new client.Counter({
    name: "sluice_access_refused_total",
    help: "Requests refused by access control (401, 403, 429), by route and reason.",
    labelNames: ["route", "status", "reason"] as const,
    registers: [this.registry],
  });
  readonly #duration = new client.Histogram({
    name: "sluice_stream_duration_seconds",
    help: "How long streamed bodies took, from request to end.",
    labelNames: ["route"] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly #cache = new Map<string, Children>();

  /** The Content-Type of {@linkcode Metrics.render}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** A body started streaming. */
  streamStarted(): void {
    this.#active.inc();
  }

  /** A stream was refused before it started. */
  streamRefused(reason: "server-full" | "client-full"): void {
    this.#refused.inc({ reason });
  }

  /**
   * Access control refused a request.
   *
   * @param route The route's name.
   * @param status 401, 403 or 429.
   * @param reason Such as `bad-token` (lib/access/access_control.ts).
   */
  accessRefused(route: string, status: number, reason: string): void {
    this.#accessRefused.inc({ route, status: String(status), reason });
  }

  /**
   * A response ended (bodies when they end, others when they are sent).
   *
   * @param end What ended and how.
   */
  responseEnded(end: ResponseEnd): void {
    const { route, method, status, bytes, streamed, outcome, seconds } = end;
    const children = this.#children(route, METHODS.has(method) ? method : "other", status);
    children.requests.inc();
    if (bytes > 0) children.bytes.inc(bytes);
    if (!streamed) return;
    this.#active.dec();
    children.ended(outcome).inc();
    children.duration.observe(seconds);
  }

  /**
   * The labelled series of one route, method and status, looked up once:
   * prom-client hashes the labels on every `inc({...})`, which cost more than
   * the rest of a small request's bookkeeping. Bounded: routes and methods are
   * fixed sets and statuses are three digits.
   */
  #children(route: string, method: string, status: number): Children {
    const key = `${route} ${method} ${status}`;
    let children = this.#cache.get(key);
    if (children === undefined) {
      const ended = new Map<Outcome, client.Counter.Internal>();
      children = {
        requests: this.#requests.labels({ route, method, status: String(status) }),
        bytes: this.#bytes.labels({ route }),
        duration: this.#duration.labels({ route }),
        ended: (outcome) => {
          let child = ended.get(outcome);
          if (child === undefined) {
            ended.set(outcome, child = this.#ended.labels({ route, outcome }));
          }
          return child;
        },
      };
      this.#cache.set(key, children);
    }
    return children;
  }

  /**
   * Reports prepared exports, read from `stats` at each scrape: jobs by
   * state, the queue's length, and rows and bytes written since start.
   *
   * @param stats The job manager's counts.
   */
  watchJobs(stats: () => JobStats): void {
    const registers = [this.registry];
    new client.Gauge({
      name: "sluice_jobs",
      help: "Prepared-export jobs by state.",
      labelNames: ["state"] as const,
      registers,
      collect() {
        for (const [state, n] of Object.entries(stats().byState)) this.set({ state }, n);
      },
    });
    new client.Gauge({
      name: "sluice_jobs_queue_length",
      help: "Jobs waiting for a --jobs-concurrency slot.",
      registers,
      collect() {
        this.set(stats().queued);
      },
    });
    // Counters fed from the manager's running totals at each scrape.
    for (
      const [name, help, read] of [
        ["sluice_job_rows_written_total", "Rows prepared jobs wrote since start.", "rowsWritten"],
        [
          "sluice_job_bytes_written_total",
          "Bytes prepared jobs wrote since start (before gzip).",
          "bytesWritten",
        ],
      ] as const
    ) {
      let seen = 0;
      new client.Counter({
        name,
        help,
        registers,
        collect() {
          const now = stats()[read];
          if (now > seen) this.inc(now - seen);
          seen = now;
        },
      });
    }
  }

  /** The exposition text. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
