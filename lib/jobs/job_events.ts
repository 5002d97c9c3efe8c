/**
 * A job's progress as Server-Sent Events: a `progress` event at most every
 * `intervalMs`, each with an `id:` a reconnecting client sends back as
 * `Last-Event-ID`, a comment every `heartbeatMs` so proxies keep the stream
 * open, and a final `done`, `failed`, `cancelled` (or `expired`, `deleted`)
 * event, after which the stream ends.
 *
 * @module
 */

import type { JobManager, JobView } from "./job_manager.ts";
import { isFinal, jobJson } from "./job_view.ts";

/** Events (and heartbeats) a client may leave unread before its stream is dropped. */
const MAX_UNREAD = 64;

/** Options for {@linkcode jobEvents}. */
export interface JobEventsOptions {
  /** Least time between progress events. @default 250 */
  intervalMs?: number;
  /** Time between heartbeat comments. @default 15000 */
  heartbeatMs?: number;
}

/**
 * The event stream for a job, or undefined when the client has seen its
 * final event already (answer 204: EventSource then stops reconnecting).
 *
 * @param jobs The manager.
 * @param id The job, which must exist.
 * @param lastEventId The `Last-Event-ID` header: events up to it are not sent again.
 * @param options Pace and heartbeat.
 * @returns The stream of `text/event-stream` bytes.
 * @example
 * ```ts
 * const body = jobEvents(jobs, id, req.headers.get("last-event-id"));
 * ```
 */
export function jobEvents(
  jobs: JobManager,
  id: string,
  lastEventId: string | null,
  options: JobEventsOptions = {},
): ReadableStream<Uint8Array> | undefined {
  const { intervalMs = 250, heartbeatMs = 15_000 } = options;
  const first = jobs.get(id);
  let seen = /^\d{1,16}$/.test(lastEventId ?? "") ? Number(lastEventId) : -1;
  if (first === undefined || (isFinal(first.state) && seen >= first.version)) return undefined;
  const encoder = new TextEncoder();
  let cleanup = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let lastSent = -Infinity;
      let pending: ReturnType<typeof setTimeout> | undefined;
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        cleanup();
        controller.close();
      };
      const send = (job: JobView | undefined) => {
        if (ended) return;
        // A client that reads nothing gets no unbounded queue: it is let go (it may reconnect).
        if ((controller.desiredSize ?? 0) < -MAX_UNREAD) {
          cleanup();
          ended = true;
          return controller.error(new Error("The client read none of its last events"));
        }
        if (job === undefined) {
          controller.enqueue(encoder.encode(`event: deleted\ndata: {"id":"${id}"}\n\n`));
          return end();
        }
        if (job.version <= seen) return;
        seen = job.version;
        lastSent = performance.now();
        const event = isFinal(job.state) ? job.state : "progress";
        const data = JSON.stringify(jobJson(job));
        controller.enqueue(
          encoder.encode(`id: ${job.version}\nevent: ${event}\ndata: ${data}\n\n`),
        );
        if (isFinal(job.state)) end();
      };
      const changed = (job: JobView | undefined) => {
        if (job === undefined || isFinal(job.state)) {
          clearTimeout(pending);
          return send(job);
        }
        const wait = intervalMs - (performance.now() - lastSent);
        if (wait <= 0) {
          // A timer that is due but has not run yet (the loop was busy) would send again.
          clearTimeout(pending);
          pending = undefined;
          return send(job);
        }
        // A burst of changes becomes one event with the latest state.
        pending ??= setTimeout(() => {
          pending = undefined;
          send(jobs.get(id));
        }, wait);
      };
      const unsubscribe = jobs.subscribe(id, changed);
      const heartbeat = setInterval(() => {
        if ((controller.desiredSize ?? 0) < -MAX_UNREAD) return send(jobs.get(id));
        controller.enqueue(encoder.encode(": heartbeat\n\n"));
      }, heartbeatMs);
      // The server is stopping: end the stream; the client reconnects with Last-Event-ID.
      const stop = () => end();
      jobs.stopping.addEventListener("abort", stop);
      cleanup = () => {
        unsubscribe();
        clearTimeout(pending);
        clearInterval(heartbeat);
        jobs.stopping.removeEventListener("abort", stop);
      };
      controller.enqueue(encoder.encode("retry: 2000\n\n"));
      if (jobs.stopping.aborted) return end();
      send(first);
    },
    cancel() {
      cleanup();
    },
  });
}
