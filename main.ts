/**
 * Sluice's entry point: reads the config, joins the route lists of routes/,
 * wires `Deno.serve` to the request pipeline (lib/server/request_pipeline.ts,
 * which logs each response when its body ends), and drains on SIGINT/SIGTERM.
 *
 * @module
 */

import { AccessControl } from "./lib/access/access_control.ts";
import { Cors } from "./lib/access/cors.ts";
import { FailureCounter } from "./lib/access/failure_counter.ts";
import { principalOf } from "./lib/access/principal.ts";
import { importSigningKey } from "./lib/access/signed_link.ts";
import { TokenFile } from "./lib/access/token_file.ts";
import type { CompressionOptions } from "./lib/http/compression.ts";
import { type Config, ConfigError } from "./lib/server/config.ts";
import { parseConfig, usage } from "./lib/server/parse_config.ts";
import { errorResponse } from "./lib/http/http_error.ts";
import { formatErrorLog } from "./lib/server/error_log.ts";
import { logJson } from "./lib/server/log_escape.ts";
import { lineWriter } from "./lib/streams/line_writer.ts";
import { createHandler } from "./lib/server/request_pipeline.ts";
import { InFlight } from "./lib/server/in_flight.ts";
import { Metrics } from "./lib/server/metrics.ts";
import { OpenDatabaseError, openExportSource } from "./lib/export/open_database.ts";
import { OpenFileCache } from "./lib/files/open_file_cache.ts";
import { CutOffError } from "./lib/server/response_meter.ts";
import { Router } from "./lib/http/router.ts";
import { StallWatch } from "./lib/server/stall_watch.ts";
import { StreamSlots } from "./lib/server/stream_slots.ts";
import { healthRoutes, type HealthState } from "./routes/health.ts";
import { mediaRoutes } from "./routes/media.ts";
import { followRoutes } from "./routes/media_follow.ts";
import { FileWakeups } from "./lib/files/follow_wakeup.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { pageRoutes } from "./routes/page.ts";
import { exportRoutes } from "./routes/export.ts";
import { jobsRoutes } from "./routes/jobs.ts";
import { JobManager } from "./lib/jobs/job_manager.ts";
import { signRoutes } from "./routes/sign.ts";
import { streamDataRoutes } from "./routes/stream_data.ts";

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
  // Start-up, database and job notices: in JSON mode, records like every other line.
  const notice = config.logFormat === "json"
    ? (message: string) => log(logJson({ time: new Date().toISOString(), message }))
    : log;
  const { tokens, signingKey } = await readAccess(config, log);
  const source = await openExportSource({
    databaseUrl: config.databaseUrl,
    poolSize: config.dbPoolSize,
    dbPath: config.dbPath,
    demoRows: config.demoRows,
    log: notice,
  }).catch((error) => {
    if (!(error instanceof OpenDatabaseError)) throw error;
    throw new ConfigError(
      `--${config.databaseUrl === "" ? "db" : "database-url"}: ${error.message}`,
    );
  });
  health.database = () => source.health();
  let jobs: JobManager;
  try {
    jobs = await JobManager.open({
      dataDir: config.dataDir,
      source,
      concurrency: config.jobsConcurrency,
      maxBytes: config.jobsMaxBytes,
      ttlSeconds: config.jobsTtl,
      maxQueuedPerOwner: config.jobsMaxQueued,
      checkpointMs: config.jobsCheckpoint * 1000,
      log: notice,
    });
  } catch (error) {
    await source.close();
    throw new ConfigError(
      `--data-dir: cannot keep jobs in "${config.dataDir}": ${(error as Error).message}`,
    );
  }
  const metrics = new Metrics();
  metrics.watchJobs(() => jobs.stats());
  const files = new OpenFileCache(realMedia, { maxEntries: config.openFileCache });
  const access = tokens === undefined && signingKey === undefined ? undefined : new AccessControl({
    tokens,
    signingKey,
    failures: new FailureCounter(config.maxAuthFailures),
  });
  // Aborted when the drain starts: follows have no end of their own, so they end then, cleanly.
  const drain = new AbortController();
  // Each family owns its URLs; the order is the order they are tried in.
  const router: Router = new Router([
    ...pageRoutes({ compression }),
    ...healthRoutes(health),
    ...metricsRoutes(metrics),
    ...followRoutes({
      realRoot: realMedia,
      wakeups: new FileWakeups(),
      drain: drain.signal,
      heartbeatMs: config.followHeartbeat * 1000,
    }),
    ...mediaRoutes({
      realRoot: realMedia,
      files,
      cacheControl: config.cacheControl,
      compression,
      zipMaxEntries: config.zipMaxEntries,
    }),
    ...streamDataRoutes({ maxRows: config.maxStreamRows }),
    ...exportRoutes({
      source,
      limits: {
        maxRows: config.exportMaxRows,
        maxBytes: config.exportMaxBytes,
        maxSeconds: config.exportMaxSeconds,
      },
      csvSafe: config.csvSafe,
      maxFilters: config.exportMaxFilters,
    }),
    ...jobsRoutes({
      jobs,
      source,
      compression,
      csvSafe: config.csvSafe,
      maxFilters: config.exportMaxFilters,
    }),
    ...signRoutes({
      key: signingKey,
      mayGet: async (req, target): Promise<boolean> =>
        await access?.mayGet(principalOf(req), router, target) ?? true,
    }),
  ]);
  const inFlight = new InFlight();
  const stallWatch = new StallWatch(config.stallTimeout * 1000);
  // When full, the stream whose client has taken nothing for longest goes, not the new request.
  const slots = new StreamSlots(config.maxStreams, config.maxStreamsPerClient, {
    makeRoom: () => stallWatch.evictLongest(),
  });

  const handler = createHandler({
    router,
    access,
    cors: new Cors(config.corsOrigin),
    health,
    compression,
    metrics,
    slots,
    stallWatch,
    inFlight,
    log,
    logFormat: config.logFormat,
    clientIpHeader: config.clientIpHeader,
    maxStreams: config.maxStreams,
    rateLimit: config.rateLimit,
    rateLimitAfter: config.rateLimitAfter,
  });

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
          log(formatErrorLog({ time: new Date(), requestId: "-", error }, config.logFormat));
        }
        return errorResponse(error);
      },
    }, handler);
  } catch (error) {
    await jobs.close();
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
      drain.abort();
      // Running jobs stop at a checkpoint (the next start resumes them) and
      // their event streams end, so they hold no response open.
      await jobs.stop();
      if (!(await inFlight.settle(config.drainTimeout * 1000))) {
        inFlight.abortAll(new CutOffError("The server is shutting down"));
      }
      stop.abort();
      await server.finished;
      files.clear();
      await jobs.close();
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

/** The tokens file and the signing key, each when the config names one. */
async function readAccess(
  config: Config,
  log: (line: string) => void,
): Promise<{ tokens?: TokenFile; signingKey?: CryptoKey }> {
  let tokens: TokenFile | undefined;
  let signingKey: CryptoKey | undefined;
  if (config.tokensFile !== "") {
    tokens = new TokenFile(config.tokensFile, { log });
    await tokens.load().catch((error) => {
      throw new ConfigError(`--tokens-file: cannot read "${config.tokensFile}": ${error.message}`);
    });
  }
  if (config.signingKeyFile !== "") {
    const path = config.signingKeyFile;
    signingKey = await Deno.readTextFile(path).then(importSigningKey).catch((error) => {
      throw new ConfigError(`--signing-key-file: cannot use "${path}": ${error.message}`);
    });
  }
  return { tokens, signingKey };
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
  let draining = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      if (draining) {
        // An operator who asks twice wants it gone: exit as a signal would (128 + its number).
        console.log(`${signal} during the drain: exiting now`);
        out.flush();
        Deno.exit(signal === "SIGINT" ? 130 : 143);
      }
      draining = true;
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
