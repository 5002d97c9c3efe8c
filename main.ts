/**
 * Sluice's entry point: reads the config, wires `Deno.serve` to the routes,
 * logs each response when its body ends, and drains on SIGINT/SIGTERM.
 *
 * @module
 */

import { type AccessEntry, formatAccessLog } from "./lib/access_log.ts";
import { type CompressionOptions, compressResponse } from "./lib/compression.ts";
import { type Config, ConfigError, parseConfig, usage } from "./lib/config.ts";
import { errorResponse } from "./lib/http_error.ts";
import { openDatabase } from "./lib/open_database.ts";
import { meterResponse } from "./lib/response_meter.ts";
import { Router, unmatchedError } from "./lib/router.ts";
import { healthHandler, type HealthState } from "./routes/health.ts";
import { mediaHandler } from "./routes/media.ts";
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
   * Stops accepting, lets in-flight responses finish for `drainTimeout`
   * seconds, then cuts off the rest.
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
): Router {
  const media = mediaHandler({
    realRoot: realMedia,
    cacheControl: config.cacheControl,
    compression,
  });
  return new Router()
    .add("healthz", ["GET"], "/healthz", healthHandler(health))
    .add("media", ["GET"], "/media{/:path(.*)}?", media)
    .add("media", ["GET"], "/stream-video/:path(.+)", media)
    .add(
      "stream-data",
      ["GET"],
      "/stream-data",
      streamDataHandler({ maxRows: config.maxStreamRows }),
    )
    .add("export-data", ["GET"], "/export-data", exportDataHandler(exports))
    .add(
      "export",
      ["GET"],
      "/export",
      () => new Response(null, { status: 301, headers: { location: "/export/" } }),
    )
    .add("export", ["GET"], "/export/", exportIndexHandler(exports))
    .add("export", ["GET"], "/export/:name", exportHandler(exports));
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
  const db = await openDatabase(config.dbPath, { demoRows: config.demoRows, log });
  const router = buildRouter(config, realMedia, health, compression, { db, dbPath: config.dbPath });
  const inFlight = new Set<(reason: unknown) => void>();

  const handler = async (req: Request): Promise<Response> => {
    const started = performance.now();
    const url = new URL(req.url);
    const requestId = sanitizeRequestId(req.headers.get("x-request-id"));
    let response: Response;
    const match = router.match(req.method, url.pathname);
    try {
      if (match.kind !== "route") throw unmatchedError(match, req.method);
      response = await match.route.handler(req, match.params);
    } catch (error) {
      response = errorResponse(error);
      if (response.status >= 500) {
        log(`${new Date().toISOString()} ${requestId} error: ${(error as Error)?.stack ?? error}`);
      }
    }
    await req.body?.cancel();
    // Before the meter, so the log counts the bytes that went on the wire.
    if (compression !== undefined) response = await compressResponse(req, response, compression);
    response.headers.set("x-request-id", requestId);
    const metered = meterResponse(response, (end) => {
      inFlight.delete(metered.abort);
      const entry: AccessEntry = {
        time: new Date(),
        requestId,
        method: req.method,
        path: url.pathname + url.search,
        status: response.status,
        // Deno reads a HEAD response's body but sends none of it.
        bytes: req.method === "HEAD" ? 0 : end.bytes,
        durationMs: performance.now() - started,
        outcome: end.outcome,
        error: end.error === undefined || end.outcome === "aborted"
          ? undefined
          : String((end.error as Error)?.message ?? end.error),
      };
      log(formatAccessLog(entry, config.logFormat));
    });
    inFlight.add(metered.abort);
    return metered.response;
  };

  const server = Deno.serve({
    hostname: config.hostname,
    port: config.port,
    onListen() {},
    onError(error) {
      log(`${new Date().toISOString()} - error: ${(error as Error)?.stack ?? error}`);
      return errorResponse(error);
    },
  }, handler);

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      health.draining = true;
      const graceful = server.shutdown();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), config.drainTimeout * 1000);
      });
      const result = await Promise.race([graceful.then(() => "done" as const), timedOut]);
      clearTimeout(timer);
      if (result === "timeout") {
        const reason = new Error("The server is shutting down");
        for (const abort of [...inFlight]) abort(reason);
        await graceful;
      }
      // Exports read on connections of their own, closed as their bodies end.
      db.close();
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
  let sluice: Sluice;
  try {
    sluice = await startServer(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`sluice: ${error.message}`);
    Deno.exit(2);
  }
  const { hostname, port } = sluice.addr;
  console.log(`Sluice listening on http://${hostname}:${port}/ (media: ${config.mediaDir})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      console.log(`${signal}: draining for up to ${config.drainTimeout}s`);
      sluice.shutdown().then(() => Deno.exit(0));
    });
  }
  await sluice.finished;
}

if (import.meta.main) await main();
