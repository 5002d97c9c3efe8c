/**
 * `deno task sign PATH [--ttl 1h] [--signing-key-file F] [--base URL]`:
 * prints a signed link to PATH (with its query) that works for GET and HEAD
 * until the TTL runs out.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { importSigningKey, signLink } from "./lib/access/signed_link.ts";

const USAGE =
  "Usage: deno task sign PATH [--ttl 1h] [--signing-key-file ./data/signing-key] [--base URL]\n" +
  "  PATH such as /media/films/a.mp4 or '/export/items.csv?limit=100'; TTL such as 90s, 15m, 1h, 7d";
const UNITS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds in a duration such as `90`, `90s`, `15m`, `1h` or `7d`.
 *
 * @param text The duration.
 * @returns Seconds, at least 1.
 * @throws {TypeError} When it is not one.
 */
export function parseDuration(text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  const seconds = match === null ? 0 : Number(match[1]) * UNITS[match[2]];
  if (seconds < 1) throw new TypeError(`"${text}" is not a duration such as 90s, 15m, 1h or 7d`);
  return seconds;
}

async function main(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ttl: { type: "string", default: "1h" },
      "signing-key-file": { type: "string", default: "./data/signing-key" },
      base: { type: "string", default: "" },
      help: { type: "boolean" },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    if (!values.help) Deno.exit(2);
    return;
  }
  const file = values["signing-key-file"];
  const text = await Deno.readTextFile(file).catch((error) => {
    throw new TypeError(`cannot read the signing key ${file}: ${error.message}`);
  });
  const key = await importSigningKey(text);
  const expires = Math.floor(Date.now() / 1000) + parseDuration(values.ttl);
  console.log(values.base.replace(/\/+$/, "") + await signLink(key, positionals[0], expires));
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (!(error instanceof TypeError) && !(error instanceof SyntaxError)) throw error;
    console.error(`sign: ${error.message}`);
    Deno.exit(2);
  }
}
