/**
 * Command-line flags and environment variables, validated once at start.
 *
 * Every option is one row of {@linkcode OPTIONS}: its flag, its environment
 * variable, its default and the parser that validates it (lib/server/option_parsers.ts).
 * `--help` is made from those rows, and tests/readme_test.ts checks the
 * README's table against them. Reading them is lib/server/parse_config.ts.
 *
 * @module
 */

import {
  byteSize,
  count,
  countOrAuto,
  databaseUrl,
  existingDir,
  filterCount,
  headerName,
  nonEmpty,
  oneOf,
  onOff,
  type OptionParser,
  origins,
  portNumber,
  positive,
  readableFile,
  seconds,
} from "./option_parsers.ts";

export { ConfigError } from "./config_error.ts";

/** The server's settings after validation. */
export interface Config {
  port: number;
  hostname: string;
  mediaDir: string;
  cacheControl: string;
  openFileCache: number;
  followHeartbeat: number;
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
  maxStreamsPerClient: number | "auto";
  clientIpHeader: string;
  rateLimit: number;
  rateLimitAfter: number;
  cert: string;
  key: string;
  exportMaxRows: number;
  exportMaxBytes: number;
  exportMaxSeconds: number;
  exportMaxFilters: number;
  csvSafe: boolean;
  zipMaxEntries: number;
  dataDir: string;
  jobsConcurrency: number;
  jobsMaxBytes: number;
  jobsTtl: number;
  jobsMaxQueued: number;
  jobsCheckpoint: number;
  tokensFile: string;
  signingKeyFile: string;
  public: boolean;
  corsOrigin: string[];
  maxAuthFailures: number;
}

/** One option: where it is read from, its default, and the parser that makes its value. */
export interface OptionSpec<K extends keyof Config> {
  /** The config key it fills. */
  key: K;
  /** The flag, without `--`. */
  flag: string;
  /** The environment variable read when the flag is absent. */
  env: string;
  /** The raw text used when neither is given. */
  default: string;
  /** One line for `--help`. */
  help: string;
  /** Makes `Config[K]` from the raw text: the key and its parser cannot drift apart. */
  parse: OptionParser<Config[K]>;
  /** A flag that takes no value (`--public`); its variable takes on or off. @default false */
  switch?: boolean;
}

/** A row for any key: the union of every `OptionSpec<K>`, so each row is checked against its own key. */
export type Option = { [K in keyof Config]: OptionSpec<K> }[keyof Config];

/** Every option Sluice takes, in the order `--help` lists them. */
export const OPTIONS = [
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
    default: "max-age=3600",
    help: "Cache-Control sent with media files",
    parse: nonEmpty,
  },
  {
    key: "openFileCache",
    flag: "open-file-cache",
    env: "OPEN_FILE_CACHE",
    default: "1000",
    help: "media files whose real path, stat and fd are kept (LRU, rechecked after 1 s; 0: off)",
    parse: count,
  },
  {
    key: "followHeartbeat",
    flag: "follow-heartbeat",
    env: "FOLLOW_HEARTBEAT",
    default: "15",
    help: "seconds between SSE comment heartbeats on a quiet ?follow (0: none)",
    parse: seconds,
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
    parse: onOff,
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
    help:
      "least seconds a response may wait for a client that takes nothing; up to 3x after a long run (see Stalled clients; 0: never cut)",
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
    default: "auto",
    help:
      "streaming responses at once per client (IPv4 address, IPv6 /64); the next gets 429 (auto: 1/16 of --max-streams; 0: no limit)",
    parse: countOrAuto,
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
  {
    key: "exportMaxFilters",
    flag: "export-max-filters",
    env: "EXPORT_MAX_FILTERS",
    default: "16",
    help: "filters and order columns one export (or job) may have (1-100); more is 400",
    parse: filterCount,
  },
  {
    key: "csvSafe",
    flag: "csv-safe",
    env: "CSV_SAFE",
    default: "off",
    help: "CSV exports defuse spreadsheet formulas, as ?safe=1 does (?safe=0 opts out): on or off",
    parse: onOff,
  },
  {
    key: "zipMaxEntries",
    flag: "zip-max-entries",
    env: "ZIP_MAX_ENTRIES",
    default: "100000",
    help: "files and folders one ?zip archive may hold; a bigger folder gets 413",
    parse: positive,
  },
  {
    key: "dataDir",
    flag: "data-dir",
    env: "DATA_DIR",
    default: "./data",
    help: "folder for prepared exports: jobs.db and jobs/ (created if absent)",
    parse: nonEmpty,
  },
  {
    key: "jobsConcurrency",
    flag: "jobs-concurrency",
    env: "JOBS_CONCURRENCY",
    default: "2",
    help: "prepared exports that run at once; more wait in order",
    parse: positive,
  },
  {
    key: "jobsMaxBytes",
    flag: "jobs-max-bytes",
    env: "JOBS_MAX_BYTES",
    default: "10g",
    help: "disk all prepared results may use (0: no cap); new jobs get 507 when it is used up",
    parse: byteSize,
  },
  {
    key: "jobsTtl",
    flag: "jobs-ttl",
    env: "JOBS_TTL",
    default: "86400",
    help: "seconds a finished job and its result are kept (0: forever); then 410",
    parse: seconds,
  },
  {
    key: "jobsMaxQueued",
    flag: "jobs-max-queued",
    env: "JOBS_MAX_QUEUED",
    default: "10",
    help: "queued jobs one client may have (0: no cap); more get 429",
    parse: count,
  },
  {
    key: "jobsCheckpoint",
    flag: "jobs-checkpoint",
    env: "JOBS_CHECKPOINT",
    default: "1",
    help: "seconds between a running job's checkpoints (file synced; the most a kill loses)",
    parse: seconds,
  },
  {
    key: "tokensFile",
    flag: "tokens-file",
    env: "TOKENS_FILE",
    default: "",
    help: "turns access control on: bearer tokens and their scopes (deno task token NAME SCOPES)",
    parse: readableFile,
  },
  {
    key: "signingKeyFile",
    flag: "signing-key-file",
    env: "SIGNING_KEY_FILE",
    default: "",
    help: "accept signed links made with this key (deno task token --signing-key); turns access on",
    parse: readableFile,
  },
  {
    key: "public",
    flag: "public",
    env: "PUBLIC",
    default: "off",
    help: "serve a non-loopback --hostname open to everyone, with no tokens (a flag; env on/off)",
    parse: onOff,
    switch: true,
  },
  {
    key: "corsOrigin",
    flag: "cors-origin",
    env: "CORS_ORIGIN",
    default: "",
    help: "origins whose browser apps may call Sluice, comma-separated (https://app.example.com)",
    parse: origins,
  },
  {
    key: "maxAuthFailures",
    flag: "max-auth-failures",
    env: "MAX_AUTH_FAILURES",
    default: "20",
    help: "wrong tokens or signatures one address may send per minute; then 429 (0: no limit)",
    parse: count,
  },
] as const satisfies readonly Option[];

// Fails to type-check when a key of Config has no row: a config missing a value.
type MissingOption = Exclude<keyof Config, (typeof OPTIONS)[number]["key"]>;
const _everyKeyHasARow: [MissingOption] extends [never] ? true : MissingOption = true;
