/**
 * The parsers behind each row of the option table (lib/server/config.ts):
 * each takes the raw text and the flag's name, and returns the value or
 * throws a {@linkcode ConfigError} naming the flag.
 *
 * @module
 */

import { parseByteSize } from "./byte_size.ts";
import { ConfigError } from "./config_error.ts";
import { checkDatabaseUrl } from "../export/postgres/postgres_options.ts";

/** Validates and converts one option's raw text; `flag` is for the message. */
export type OptionParser<T> = (raw: string, flag: string) => T;

export function portNumber(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) {
    throw new ConfigError(`--${flag}: "${raw}" is not a port number (0-65535)`);
  }
  return n;
}

export function nonEmpty(raw: string, flag: string): string {
  if (raw.trim() === "") throw new ConfigError(`--${flag}: must not be empty`);
  return raw;
}

export function existingDir(raw: string, flag: string): string {
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

export function seconds(raw: string, flag: string): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new ConfigError(`--${flag}: "${raw}" is not a number of seconds`);
  }
  return n;
}

export function count(raw: string, flag: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new ConfigError(`--${flag}: "${raw}" is not a non-negative integer`);
  }
  return n;
}

/** A count, or `auto` for a value derived from other options. */
export function countOrAuto(raw: string, flag: string): number | "auto" {
  return raw === "auto" ? "auto" : count(raw, flag);
}

export function byteSize(raw: string, flag: string): number {
  try {
    return parseByteSize(raw);
  } catch {
    throw new ConfigError(`--${flag}: "${raw}" is not a byte size (such as 65536, 512k, 2m)`);
  }
}

export function readableFile(raw: string, flag: string): string {
  if (raw === "") return raw;
  try {
    if (Deno.statSync(raw).isFile) return raw;
  } catch {
    // Reported below.
  }
  throw new ConfigError(`--${flag}: "${raw}" is not a readable file`);
}

export function databaseUrl(raw: string, flag: string): string {
  if (raw === "") return raw;
  try {
    checkDatabaseUrl(raw);
  } catch (error) {
    // The message never repeats the URL: it may hold a password.
    throw new ConfigError(`--${flag}: ${(error as Error).message}`);
  }
  return raw;
}

export function positive(raw: string, flag: string): number {
  const n = count(raw, flag);
  if (n < 1) throw new ConfigError(`--${flag}: "${raw}" is not a positive integer`);
  return n;
}

/**
 * `--export-max-filters`: 1 to 100. More would let one request nest SQL past
 * SQLite's expression depth (1,000) with a long order's keyset condition.
 */
export function filterCount(raw: string, flag: string): number {
  const n = positive(raw, flag);
  if (n > 100) throw new ConfigError(`--${flag}: "${raw}" is more than 100`);
  return n;
}

export function headerName(raw: string, flag: string): string {
  if (raw !== "" && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(raw)) {
    throw new ConfigError(`--${flag}: "${raw}" is not a header name`);
  }
  return raw.toLowerCase();
}

export function oneOf<T extends string>(...values: T[]) {
  return (raw: string, flag: string): T => {
    if (!(values as string[]).includes(raw)) {
      throw new ConfigError(`--${flag}: "${raw}" is not one of ${values.join(", ")}`);
    }
    return raw as T;
  };
}

/** `on` or `off`, as true or false. */
export function onOff(raw: string, flag: string): boolean {
  return oneOf("on", "off")(raw, flag) === "on";
}

/** A comma-separated list of origins, each exactly as a browser sends it in `Origin`. */
export function origins(raw: string, flag: string): string[] {
  if (raw.trim() === "") return [];
  return raw.split(",").map((item) => {
    const origin = item.trim();
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // Reported below.
    }
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `--${flag}: "${origin}" is not an origin (scheme://host[:port], no path or slash)`,
      );
    }
    return origin;
  });
}

/** Whether a listening address only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || /^127(\.\d{1,3}){3}$/.test(hostname) ||
    hostname === "::1" || hostname === "[::1]";
}
