/**
 * Sluice's entry point: reads the config, wires `Deno.serve` to the routes,
 * logs each response when its body ends, and drains on SIGINT/SIGTERM.
 *
 * @module
 */

import { type AccessEntry, formatAccessLog } from "./lib/access_log.ts";
import { type CompressionOptions, compressResponse } from "./lib/compression.ts";
import { type Config, ConfigError, parseConfig, usage } from "./lib/config.ts";
import { errorResponse, HttpError } from "./lib/http_error.ts";
import { lineWriter } from "./lib/line_writer.ts";
import { InFlight } from "./lib/in_flight.ts";
import { Metrics } from "./lib/metrics.ts";
import { openExportSource } from "./lib/open_database.ts";
import { CutOffError, meterResponse } from "./lib/response_meter.ts";
import { type Route, Router, unmatchedError } from "./lib/router.ts";
import { StallWatch } from "./lib/stall_watch.ts";
import { type Slot, StreamSlots } from "./lib/stream_slots.ts";
import { Throttle } from "./lib/throttle.ts";
import { healthHandler, type HealthState } from "./routes/health.ts";
import { mediaHandler } from "./routes/media.ts";
import { metricsHandler } from "./routes/metrics.ts";
import { pageHandler } from "./routes/page.ts";
import {
  exportDataHandler,
  exportHandler,
  exportIndexHandler,
  type ExportOptions,
} from "./routes/export.ts";
import { streamDataHandler } from "./routes/stream_data.ts";

/** Options for {@linkcode startServer} beyond the config. */
export interface StartOptions {
  /** Where access-log and error lines go. @default console.log */
  log?: (line: string) => void;
}

/** A running Sluice. */
export interface Sluice {
  /** The address it listens on (with the real port when 0 was asked). */
  addr: Deno.NetAddr;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /**
   * Drains: /healthz and every new request get 503 at once, in-flight
   * responses may finish for `drainTimeout` seconds, then the rest are cut
   * off (their clients see a truncated transfer) and every connection closes.
   */
  shutdown(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Builds the router for a config. */
function buildRouter(
  config: Config,
  realMedia: string,
  health: HealthState,
  compression: CompressionOptions | undefined,
  exports: ExportOptions,
  metrics: Metrics,
): Router {
  const streaming = { streaming: true };
  const media = mediaHandler({
    realRoot: realMedia,
    cacheControl: config.cacheControl,
    compression,
  });
  const page = pageHandler({ compression });
  return new Router()
    .add("page", ["GET"], "/", page)
    .add("page", ["GET"], "/ui/:file", page)
    .add("healthz", ["GET"], "/healthz", healthHandler(health))
    .add("metrics", ["GET"], "/metrics", metricsHandler(metrics))
    .add("media", ["GET"], "/media{/:path(.*)}?", media, streaming)
    .add("media", ["GET"], "/stream-video/:path(.+)", media, streaming)
    .add(
      "stream-data",
      ["GET"],
      "/stream-data",
      streamDataHandler({ maxRows: config.maxStreamRows }),
      streaming,
    )
    .add("export-data", ["GET"], "/export-data", exportDataHandler(exports), streaming)
    .add(
      "export",
      ["GET"],
      "/export",
      () => new Response(null, { status: 301, headers: { location: "/export/" } }),
    )
    .add("export", ["GET"], "/export/", exportIndexHandler(exports))
    .add("export", ["GET"], "/export/:name", exportHandler(exports), streaming);
}

/**
 * Starts Sluice with a validated config.
 *
 * @param config The config, as from `parseConfig`.
 * @param options Where logs go.
 * @returns The running server.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<Sluice> {
  const log = options.log ?? console.log;
  const realMedia = await Deno.realPath(config.mediaDir);
  const health: HealthState = { draining: false };
  // The defaults of lib/compression.ts; media files need them too, for their ETags.
  const compression: CompressionOptions | undefined = config.compression ? {} : undefined;
  const tls = await readTls(config);
  const source = await openExportSource({
    databaseUrl: config.databaseUrl,
    poolSize: config.dbPoolSize,
    dbPath: config.dbPath,
    demoRows: config.demoRows,
    log,
  });
  health.database = () => source.health();
  const metrics = new Metrics();
  const router = buildRouter(
    config,
    realMedia,
    health,
    compression,
    {
      source,
      limits: {
        maxRows: config.exportMaxRows,
        maxBytes: config.exportMaxBytes,
        maxSeconds: config.exportMaxSeconds,
      },
    },
    metrics,
  );
  const inFlight = new InFlight();
  const slots = new StreamSlots(config.maxStreams, config.maxStreamsPerClient);
  const stallWatch = new StallWatch(config.stallTimeout * 1000);

  const handler = async (req: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    const started = performance.now();
    const tracked = inFlight.track(info.completed);
    const url = new URL(req.url);
    const requestId = sanitizeRequestId(req.headers.get("x-request-id"));
    const match = router.match(req.method, url.pathname);
    const route: Route | undefined = match.kind === "route" ? match.route : undefined;
    // Streams are limited (slots, stall timeout, rate) when they are GET bodies.
    const streaming = route?.streaming === true && req.method === "GET";
    let slot: Slot | undefined;
    let response: Response;
    try {
      if (match.kind !== "route") throw unmatchedError(match, req.method);
      if (health.draining && match.route.name !== "healthz") {
        throw new HttpError(503, "The server is shutting down; retry on another instance", {
          headers: { "retry-after": "1" },
        });
      }
      if (streaming) slot = admit(clientAddress(req, info, config.clientIpHeader));
      response = await match.route.handler(req, match.params);
    } catch (error) {
      response = errorResponse(error);
      if (response.status >= 500 && !(error instanceof HttpError)) {
        log(`${new Date().toISOString()} ${requestId} error: ${(error as Error)?.stack ?? error}`);
      }
    }
    await req.body?.cancel();
    // Before the meter, so the log counts the bytes that went on the wire.
    if (compression !== undefined) response = await compressResponse(req, response, compression);
    response.headers.set("x-request-id", requestId);
    const streamed = streaming && response.body !== null && response.status < 300;
    if (streamed) metrics.streamStarted();
    const metered = meterResponse(response, (end) => {
      // A cut-off body sends nothing more; its last write may never finish.
      if (end.outcome !== "complete") tracked.done();
      slot?.release();
      // Deno reads a HEAD response's body but sends none of it.
      const bytes = req.method === "HEAD" ? 0 : end.bytes;
      const durationMs = performance.now() - started;
      metrics.responseEnded(
        route?.name ?? "unmatched",
        req.method,
        response.status,
        bytes,
        streamed,
        end.outcome,
        durationMs / 1000,
      );
      const entry: AccessEntry = {
        time: new Date(),
        requestId,
        method: req.method,
        path: url.pathname + url.search,
        status: response.status,
        bytes,
        durationMs,
        outcome: end.outcome,
        error: end.error === undefined ||
            end.outcome === "aborted" && !(end.error instanceof CutOffError)
          ? undefined
          : String((end.error as Error)?.message ?? end.error),
      };
      log(formatAccessLog(entry, config.logFormat));
    }, {
      stallWatch: streamed ? stallWatch : undefined,
      throttle: streamed && config.rateLimit > 0
        ? new Throttle({ bytesPerSecond: config.rateLimit, burst: config.rateLimitAfter })
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
      throw new HttpError(503, `The server is sending ${streams(config.maxStreams)} already`, {
        headers: { "retry-after": "5" },
      });
    }
    throw new HttpError(
      429,
      `This client has ${streams(config.maxStreamsPerClient)} open already`,
      { headers: { "retry-after": "5" } },
    );
  };

  // Aborting it closes every connection, even one blocked on a client that reads nothing.
  const stop = new AbortController();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      hostname: config.hostname,
      port: config.port,
      ...tls,
      signal: stop.signal,
      onListen() {},
      onError(error) {
        // A body we cut off (stall, shutdown) is in the access log already.
        if (!(error instanceof CutOffError)) {
          log(`${new Date().toISOString()} - error: ${(error as Error)?.stack ?? error}`);
        }
        return errorResponse(error);
      },
    }, handler);
  } catch (error) {
    await source.close();
    const message = (error as Error).message;
    throw new ConfigError(
      error instanceof Deno.errors.InvalidData
        ? `--cert and --key: ${message}`
        : `--port: cannot listen on ${config.hostname}:${config.port}: ${message}`,
    );
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      // /healthz answers 503 from now on and other requests are refused with
      // 503, so a balancer moves on while in-flight responses finish.
      health.draining = true;
      if (!(await inFlight.settle(config.drainTimeout * 1000))) {
        inFlight.abortAll(new CutOffError("The server is shutting down"));
      }
      stop.abort();
      await server.finished;
      // Exports read on connections of their own, closed as their bodies end.
      await source.close();
    })();
    return stopping;
  };

  return {
    addr: server.addr,
    finished: server.finished,
    shutdown,
    [Symbol.asyncDispose]: shutdown,
  };
}

/** The certificate and key for `Deno.serve`, or nothing for plain HTTP. */
async function readTls(config: Config): Promise<{ cert?: string; key?: string }> {
  if (config.cert === "") return {};
  const read = async (path: string, flag: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new ConfigError(`--${flag}: cannot read "${path}": ${(error as Error).message}`);
    }
  };
  return { cert: await read(config.cert, "cert"), key: await read(config.key, "key") };
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

async function main(): Promise<void> {
  let config: Config | "help";
  try {
    config = parseConfig(Deno.args, (name) => Deno.env.get(name));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`sluice: ${error.message}`);
    Deno.exit(2);
  }
  if (config === "help") {
    console.log(usage());
    return;
  }
  // The access log, written in batches (see lib/line_writer.ts).
  const out = lineWriter((bytes) => Deno.stdout.writeSync(bytes));
  let sluice: Sluice;
  try {
    sluice = await startServer(config, { log: out.write });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`sluice: ${error.message}`);
    Deno.exit(2);
  }
  const { hostname, port } = sluice.addr;
  const scheme = config.cert === "" ? "http" : "https";
  console.log(`Sluice listening on ${scheme}://${hostname}:${port}/ (media: ${config.mediaDir})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      console.log(`${signal}: draining for up to ${config.drainTimeout}s`);
      sluice.shutdown().then(() => {
        out.flush();
        Deno.exit(0);
      });
    });
  }
  await sluice.finished;
}

if (import.meta.main) await main();
