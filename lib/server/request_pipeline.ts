/**
 * What happens to every request between `Deno.serve` and the route: CORS
 * preflights, routing (404/405), draining (503), cross-site writes (403),
 * access control (401/403/429, lib/access/), stream admission (503/429), the
 * handler, errors
 * as problem responses, compression, and the body meter that feeds the
 * access log, the metrics, the stall watch and the rate limit.
 *
 * @module
 */

import { setRequestClient } from "../http/request_client.ts";
import { type AccessControl, AccessError } from "../access/access_control.ts";
import { Cors } from "../access/cors.ts";
import { logName, type Principal, setPrincipal } from "../access/principal.ts";
import { redactTarget } from "../access/redact.ts";
import { type AccessEntry, formatAccessLog } from "./access_log.ts";
import { type CompressionOptions, compressResponse } from "../http/compression.ts";
import { errorResponse, HttpError } from "../http/http_error.ts";
import { formatErrorLog } from "./error_log.ts";
import { isInMemory } from "../http/in_memory.ts";
import type { InFlight } from "./in_flight.ts";
import type { Metrics } from "./metrics.ts";
import { CutOffError, meterResponse } from "./response_meter.ts";
import { type Route, type Router, unmatchedError } from "../http/router.ts";
import type { StallWatch } from "./stall_watch.ts";
import type { Slot, StreamSlots } from "./stream_slots.ts";
import { Throttle } from "./throttle.ts";

/** Everything the pipeline uses; {@linkcode createHandler} reads no global config. */
export interface PipelineOptions {
  router: Router;
  /** Who may make which request; undefined when access control is off (loopback, no tokens). */
  access?: AccessControl;
  /** Which other origins' browser apps may call. @default none */
  cors?: Cors;
  /** Read on every request: once true, everything but `healthz` gets 503. */
  health: { readonly draining: boolean };
  /** Compression settings, or undefined when it is off. */
  compression: CompressionOptions | undefined;
  metrics: Metrics;
  slots: StreamSlots;
  stallWatch: StallWatch;
  inFlight: InFlight;
  /** Where access-log and error lines go. */
  log: (line: string) => void;
  logFormat: "text" | "json";
  /** Header naming the client behind a proxy, or "" for the TCP peer. */
  clientIpHeader: string;
  /** The cap behind `slots`, for the refusal message. */
  maxStreams: number;
  /** Bytes per second per streamed body (0: none), after `rateLimitAfter` bytes. */
  rateLimit: number;
  rateLimitAfter: number;
}

/**
 * Builds the `Deno.serve` handler.
 *
 * @param options The server's parts.
 * @returns The handler.
 */
export function createHandler(
  options: PipelineOptions,
): (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response> {
  const { router, health, compression, metrics, slots, stallWatch, inFlight, log } = options;
  const cors = options.cors ?? new Cors([]);
  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const started = performance.now();
    const tracked = inFlight.track(info.completed);
    const url = new URL(req.url);
    const requestId = sanitizeRequestId(req.headers.get("x-request-id"));
    const match = router.match(req.method, url.pathname, url.search);
    const route: Route | undefined = match.kind === "route" ? match.route : undefined;
    // Streams are limited (slots, stall timeout, rate) when they are GET bodies.
    const streaming = route?.streaming === true && req.method === "GET";
    // A HEAD that costs a query (an export's count) is admitted like its GET.
    const admitted = streaming || (route?.admitHead === true && req.method === "HEAD");
    const client = clientAddress(req, info, options.clientIpHeader);
    let slot: Slot | undefined;
    let principal: Principal | undefined;
    let user: string | undefined;
    let response: Response;
    try {
      const preflight = cors.preflight(req);
      if (preflight !== undefined) {
        response = preflight;
      } else {
        if (match.kind !== "route") throw unmatchedError(match, req.method);
        if (health.draining && match.route.name !== "healthz") {
          throw new HttpError(503, "The server is shutting down; retry on another instance", {
            headers: { "retry-after": "1" },
          });
        }
        cors.checkWrite(req);
        // Before a stream slot: a client without access must not hold one. No
        // await when access control is off: every request would pay a turn.
        if (options.access !== undefined) {
          principal = await options.access.authorize(req, match, client);
          if (principal !== undefined) setPrincipal(req, principal);
        }
        setRequestClient(req, client);
        if (admitted) slot = admit(client);
        response = await match.route.handler(req, match.params);
      }
    } catch (error) {
      if (error instanceof AccessError) {
        metrics.accessRefused(route?.name ?? "unmatched", error.status, error.reason);
        user = error.user;
      }
      response = errorResponse(error);
      if (response.status >= 500 && !(error instanceof HttpError)) {
        log(formatErrorLog({ time: new Date(), requestId, error }, options.logFormat));
      }
    }
    await req.body?.cancel();
    // Before the meter, so the log counts the bytes that went on the wire.
    if (compression !== undefined) response = await compressResponse(req, response, compression);
    response.headers.set("x-request-id", requestId);
    cors.apply(req, response);
    // Whoever holds a signed link may use it; a shared cache must not hand it to others.
    if (principal?.kind === "link") response.headers.set("cache-control", "private, no-cache");
    // An in-memory body has one; asking `response.body` would turn it into a
    // stream that Deno must then pump through JS.
    const streamed = streaming && response.status < 300 &&
      (isInMemory(response) || response.body !== null);
    if (streamed) metrics.streamStarted();
    const metered = meterResponse(response, (end) => {
      // A cut-off body sends nothing more; its last write may never finish.
      if (end.outcome !== "complete") tracked.done();
      slot?.release();
      // Deno reads a HEAD response's body but sends none of it.
      const bytes = req.method === "HEAD" ? 0 : end.bytes;
      const durationMs = performance.now() - started;
      metrics.responseEnded({
        route: route?.name ?? "unmatched",
        method: req.method,
        status: response.status,
        bytes,
        streamed,
        outcome: end.outcome,
        seconds: durationMs / 1000,
      });
      const entry: AccessEntry = {
        time: new Date(),
        requestId,
        user: user ?? logName(principal),
        method: req.method,
        // A signed link's `sig` is a credential until it expires.
        path: redactTarget(url.pathname + url.search),
        status: response.status,
        bytes,
        durationMs,
        outcome: end.outcome,
        error: end.error === undefined ||
            end.outcome === "aborted" && !(end.error instanceof CutOffError)
          ? undefined
          : String((end.error as Error)?.message ?? end.error),
      };
      log(formatAccessLog(entry, options.logFormat));
    }, {
      stallWatch: streamed ? stallWatch : undefined,
      throttle: streamed && options.rateLimit > 0
        ? new Throttle({ bytesPerSecond: options.rateLimit, burst: options.rateLimitAfter })
        : undefined,
    });
    tracked.setAbort(metered.abort);
    return metered.response;
  };

  /** Takes a stream slot for a client, or throws the 503/429 that refuses it. */
  const admit = (client: string): Slot => {
    const slot = slots.acquire(client);
    if (typeof slot === "object") return slot;
    metrics.streamRefused(slot);
    if (slot === "server-full") {
      throw new HttpError(503, `The server is sending ${streams(options.maxStreams)} already`, {
        headers: { "retry-after": "5" },
      });
    }
    throw new HttpError(
      429,
      `This client has ${streams(slots.perClient)} open already`,
      { headers: { "retry-after": "5" } },
    );
  };
  return handler;
}

/**
 * The client's address: the TCP peer, or with `--client-ip-header` behind a
 * proxy, the last address in that header (the hop the proxy itself added).
 */
function clientAddress(req: Request, info: Deno.ServeHandlerInfo, header: string): string {
  const forwarded = header === "" ? null : req.headers.get(header);
  if (forwarded !== null) {
    const last = forwarded.split(",").at(-1)?.trim();
    if (last) return last;
  }
  const addr = info.remoteAddr as Deno.NetAddr;
  return addr.hostname ?? "unknown";
}

function streams(n: number): string {
  return n === 1 ? "1 stream" : `${n} streams`;
}

/** Keeps a client's X-Request-Id when it is short and plain; otherwise makes one. */
function sanitizeRequestId(value: string | null): string {
  return value !== null && /^[\w.:-]{1,128}$/.test(value) ? value : crypto.randomUUID().slice(0, 8);
}
