/**
 * Command-line flags and environment variables, validated once at start.
 *
 * Every option is one row of {@linkcode OPTIONS}: its flag, its environment
 * variable, its default and the parser that validates it. `--help` and the
 * README's table are both made from those rows, so they cannot drift apart.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseByteSize } from "./byte_size.ts";
import { checkDatabaseUrl } from "../export/postgres/postgres_options.ts";

/** The server's settings after validation. */
export interface Config {
  port: number;
  hostname: string;
  mediaDir: string;
  cacheControl: string;
  drainTimeout: number;
  logFormat: "text" | "json";
  compression: boolean;
  dbPath: string;
  demoRows: number;
  databaseUrl: string;
  dbPoolSize: number;
  maxStreamRows: number;
  stallTimeout: number;
  maxStreams: number;
  maxStreamsPerClient: number;
  clientIpHeader: string;
  rateLimit: number;
  rateLimitAfter: number;
  cert: string;
  key: string;
  exportMaxRows: number;
  exportMaxBytes: number;
  exportMaxSeconds: number;
}

/** Thrown for a bad flag or variable; its message is the one line printed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

interface OptionSpec<K extends keyof Config> {
  key: K;
  flag: string;
  env: string;
  default: string;
  help: string;
  parse(raw: string, flag: string): Config[K];
}

function portNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) {
    throw new ConfigError(`--${flag}: "${raw}" is not a port number (0-65535)`);
  }
  return n;
}

function nonEmpty(raw: string, flag: string): string {
  if (raw.trim() === "") throw new ConfigError(`--${flag}: must not be empty`);
  return raw;
}

function existingDir(raw: string, flag: string): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(raw);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "does not exist" : "cannot be read";
    throw new ConfigError(`--${flag}: "${raw}" ${why}`);
  }
  if (!info.isDirectory) throw new ConfigError(`--${flag}: "${raw}" is not a directory`);
  return raw;
}

function seconds(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new ConfigError(`--${flag}: "${raw}" is not a number of seconds`);
  }
  return n;
}

function count(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new ConfigError(`--${flag}: "${raw}" is not a non-negative integer`);
  }
  return n;
}

function byteSize(raw: string, flag: string): number {
  try {
    return parseByteSize(raw);
  } catch {
    throw new ConfigError(`--${flag}: "${raw}" is not a byte size (such as 65536, 512k, 2m)`);
  }
}

function readableFile(raw: string, flag: string): string {
  if (raw === "") return raw;
  try {
    if (Deno.statSync(raw).isFile) return raw;
  } catch {
    // Reported below.
  }
  throw new ConfigError(`--${flag}: "${raw}" is not a readable file`);
}

function databaseUrl(raw: string, flag: string): string {
  if (raw === "") return raw;
  try {
    checkDatabaseUrl(raw);
  } catch (error) {
    // The message never repeats the URL: it may hold a password.
    throw new ConfigError(`--${flag}: ${(error as Error).message}`);
  }
  return raw;
}

function positive(raw: string, flag: string): number {
  const n = count(raw, flag);
  if (n < 1) throw new ConfigError(`--${flag}: "${raw}" is not a positive integer`);
  return n;
}

function headerName(raw: string, flag: string): string {
  if (raw !== "" && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) {
    throw new ConfigError(`--${flag}: "${raw}" is not a header name`);
  }
  return raw.toLowerCase();
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: string, flag: string): T => {
    if (!(values as string[]).includes(raw)) {
      throw new ConfigError(`--${flag}: "${raw}" is not one of ${values.join(", ")}`);
    }
    return raw as T;
  };
}

// deno-lint-ignore no-explicit-any
type AnySpec = OptionSpec<any>;

/** Every option Sluice takes, in the order `--help` lists them. */
export const OPTIONS: readonly AnySpec[] = [
  {
    key: "port",
    flag: "port",
    env: "PORT",
    default: "8000",
    help: "TCP port to listen on (0 picks a free one)",
    parse: portNumber,
  },
  {
    key: "hostname",
    flag: "hostname",
    env: "HOSTNAME",
    default: "127.0.0.1",
    help: "address to listen on (0.0.0.0 for every interface)",
    parse: nonEmpty,
  },
  {
    key: "mediaDir",
    flag: "media-dir",
    env: "MEDIA_DIR",
    default: "./media",
    help: "folder served under /media/ (must exist)",
    parse: existingDir,
  },
  {
    key: "cacheControl",
    flag: "cache-control",
    env: "CACHE_CONTROL",
    default: "public, max-age=3600",
    help: "Cache-Control sent with media files",
    parse: nonEmpty,
  },
  {
    key: "drainTimeout",
    flag: "drain-timeout",
    env: "DRAIN_TIMEOUT",
    default: "10",
    help: "seconds in-flight responses may finish after SIGINT/SIGTERM",
    parse: seconds,
  },
  {
    key: "logFormat",
    flag: "log-format",
    env: "LOG_FORMAT",
    default: "text",
    help: "access log format: text or json",
    parse: oneOf("text", "json"),
  },
  {
    key: "compression",
    flag: "compression",
    env: "COMPRESSION",
    default: "on",
    help: "gzip/deflate for text, JSON, CSV and NDJSON when the client accepts it: on or off",
    parse: (raw: string, flag: string) => oneOf("on", "off")(raw, flag) === "on",
  },
  {
    key: "dbPath",
    flag: "db",
    env: "DB_PATH",
    default: "./data/sluice.db",
    help: "SQLite database served under /export/ (created with demo data if absent)",
    parse: nonEmpty,
  },
  {
    key: "demoRows",
    flag: "demo-rows",
    env: "DEMO_ROWS",
    default: "1000000",
    help: "rows in the demo items table when --db has to be created",
    parse: count,
  },
  {
    key: "databaseUrl",
    flag: "database-url",
    env: "DATABASE_URL",
    default: "",
    help: "PostgreSQL to export from instead of --db: postgres://user:password@host:port/database",
    parse: databaseUrl,
  },
  {
    key: "dbPoolSize",
    flag: "db-pool-size",
    env: "DB_POOL_SIZE",
    default: "10",
    help: "PostgreSQL connections for exports (one per export streaming; plus one for /healthz)",
    parse: positive,
  },
  {
    key: "maxStreamRows",
    flag: "max-stream-rows",
    env: "MAX_STREAM_ROWS",
    default: "10000000",
    help: "largest ?rows= that /stream-data accepts",
    parse: count,
  },
  {
    key: "stallTimeout",
    flag: "stall-timeout",
    env: "STALL_TIMEOUT",
    default: "60",
    help: "drop a response whose client took no bytes for this many seconds (0: never)",
    parse: seconds,
  },
  {
    key: "maxStreams",
    flag: "max-streams",
    env: "MAX_STREAMS",
    default: "256",
    help: "streaming responses at once; the next gets 503 with Retry-After (0: no limit)",
    parse: count,
  },
  {
    key: "maxStreamsPerClient",
    flag: "max-streams-per-client",
    env: "MAX_STREAMS_PER_CLIENT",
    default: "16",
    help: "streaming responses at once per client address; the next gets 429 (0: no limit)",
    parse: count,
  },
  {
    key: "clientIpHeader",
    flag: "client-ip-header",
    env: "CLIENT_IP_HEADER",
    default: "",
    help:
      "header naming the client behind a proxy (last X-Forwarded-For hop), for per-client limits",
    parse: headerName,
  },
  {
    key: "rateLimit",
    flag: "rate-limit",
    env: "RATE_LIMIT",
    default: "0",
    help: "bytes per second per download or export, such as 512k or 2m (0: no limit)",
    parse: byteSize,
  },
  {
    key: "rateLimitAfter",
    flag: "rate-limit-after",
    env: "RATE_LIMIT_AFTER",
    default: "0",
    help: "bytes each response sends at full speed before --rate-limit applies",
    parse: byteSize,
  },
  {
    key: "cert",
    flag: "cert",
    env: "CERT_FILE",
    default: "",
    help: "PEM certificate: serve HTTPS, with HTTP/2 by ALPN (needs --key)",
    parse: readableFile,
  },
  {
    key: "key",
    flag: "key",
    env: "KEY_FILE",
    default: "",
    help: "PEM private key for --cert",
    parse: readableFile,
  },
  {
    key: "exportMaxRows",
    flag: "export-max-rows",
    env: "EXPORT_MAX_ROWS",
    default: "0",
    help: "rows one export may send; more is refused (413) or fails honestly (0: no limit)",
    parse: count,
  },
  {
    key: "exportMaxBytes",
    flag: "export-max-bytes",
    env: "EXPORT_MAX_BYTES",
    default: "0",
    help: "bytes one export may produce, such as 2g; past it the export fails (0: no limit)",
    parse: byteSize,
  },
  {
    key: "exportMaxSeconds",
    flag: "export-max-seconds",
    env: "EXPORT_MAX_SECONDS",
    default: "3600",
    help: "seconds one export may run; past it the export fails (0: no limit)",
    parse: seconds,
  },
];

/** Usage text for `--help`. */
export function usage(): string {
  const rows = OPTIONS.map((o) =>
    `  --${(o.flag + " VALUE").padEnd(22)} ${o.help}\n  ${
      "".padEnd(24)
    } env ${o.env}, default "${o.default}"`
  );
  return [
    "Sluice: streams large files and data without holding them in memory.",
    "",
    "Usage: deno task start [options]",
    "",
    ...rows,
    "  --help                   print this text and exit",
  ].join("\n");
}

/**
 * Reads flags, then environment variables, then defaults, validating each.
 *
 * @param args The command-line arguments (flags win over the environment).
 * @param env Reads one environment variable.
 * @returns The validated config, or `"help"` when `--help` was given.
 * @throws {ConfigError} With one line naming the option and the problem.
 */
export function parseConfig(
  args: string[],
  env: (name: string) => string | undefined,
): Config | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: "string" as const }])),
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message.split("\n")[0]);
  }
  if (values.help) return "help";
  const config: Partial<Record<keyof Config, unknown>> = {};
  for (const o of OPTIONS) {
    const flagged = values[o.flag] as string | undefined;
    const fromEnv = flagged === undefined ? env(o.env) : undefined;
    try {
      config[o.key as keyof Config] = o.parse(flagged ?? fromEnv ?? o.default, o.flag);
    } catch (error) {
      // Name the variable the user actually set.
      if (!(error instanceof ConfigError) || fromEnv === undefined) throw error;
      throw new ConfigError(error.message.replace(`--${o.flag}:`, `${o.env} (--${o.flag}):`));
    }
  }
  if ((config.cert === "") !== (config.key === "")) {
    throw new ConfigError("--cert and --key: give both, or neither");
  }
  return config as Config;
}
