/**
 * The tokens file: one token per line, `NAME SHA256 SCOPE…`, where SHA256 is
 * the hex SHA-256 of the token (the token itself is never stored). Lines
 * starting with `#` and blank lines are ignored. The file is re-read when it
 * changes, so deleting a line revokes its token without a restart.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { parseScopes, type Scope } from "./scopes.ts";

/** One line of the file. */
export interface TokenEntry {
  /** Who holds the token, as the access log names them. */
  name: string;
  /** The token's SHA-256. */
  hash: Uint8Array;
  scopes: Scope[];
}

/** Token names: short and plain, so a log line cannot be forged through one. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Longer than any token `deno task token` makes, short enough to hash for nothing. */
const MAX_TOKEN_LENGTH = 256;

/**
 * The hex SHA-256 of a token, as the file stores it.
 *
 * @param token The token.
 * @returns 64 hex digits.
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return new Uint8Array(digest).toHex();
}

/**
 * Parses the file's text.
 *
 * @param text The file's contents.
 * @returns The entries, and one message per line that is not one.
 * @example
 * ```ts
 * parseTokenFile(`alice ${"0".repeat(64)} media export:items`);
 * ```
 */
export function parseTokenFile(text: string): { entries: TokenEntry[]; problems: string[] } {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [name, hash, ...words] = line.split(/\s+/);
    try {
      if (!TOKEN_NAME.test(name)) throw new SyntaxError(`"${name}" is not a token name`);
      if (!HEX64.test(hash ?? "")) throw new SyntaxError("the second field is not a SHA-256");
      entries.push({ name, hash: Uint8Array.fromHex(hash), scopes: parseScopes(words) });
    } catch (error) {
      problems.push(`line ${i + 1}: ${(error as Error).message}`);
    }
  });
  return { entries, problems };
}

/** Options for {@linkcode TokenFile}. */
export interface TokenFileOptions {
  /** Where problems in the file are reported (a changed file is reported once). */
  log?: (message: string) => void;
  /** How often, at most, the file's stat is checked, in ms. @default 1000 */
  recheckMs?: number;
}

/** The tokens file, read at start and again whenever its stat changes. */
export class TokenFile {
  readonly #path: string;
  readonly #log: (message: string) => void;
  readonly #recheckMs: number;
  #entries: TokenEntry[] = [];
  #stamp = "";
  #checkedAt = -Infinity;
  #checking: Promise<void> | undefined;

  constructor(path: string, options: TokenFileOptions = {}) {
    this.#path = path;
    this.#log = options.log ?? console.error;
    this.#recheckMs = options.recheckMs ?? 1000;
  }

  /**
   * Reads the file for the first time.
   *
   * @throws {Error} When it cannot be read: a server must not start open by mistake.
   */
  async load(): Promise<void> {
    const info = await Deno.stat(this.#path);
    this.#read(await Deno.readTextFile(this.#path), stampOf(info));
    this.#checkedAt = performance.now();
  }

  /**
   * The entry of a token, comparing every stored hash in constant time.
   *
   * @param token The token a client sent.
   * @returns Its entry, or undefined for an unknown token.
   */
  async find(token: string): Promise<TokenEntry | undefined> {
    await this.#refresh();
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = new Uint8Array(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
    );
    let found: TokenEntry | undefined;
    // No early exit: the time taken does not say which line matched.
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.hash, hash) && found === undefined) found = entry;
    }
    return found;
  }

  #refresh(): Promise<void> {
    if (performance.now() - this.#checkedAt < this.#recheckMs) return Promise.resolve();
    this.#checking ??= this.#recheck().finally(() => {
      this.#checkedAt = performance.now();
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #recheck(): Promise<void> {
    try {
      const info = await Deno.stat(this.#path);
      const stamp = stampOf(info);
      if (stamp !== this.#stamp) this.#read(await Deno.readTextFile(this.#path), stamp);
    } catch (error) {
      // Gone or unreadable: no token is valid until it is back (fail closed).
      if (this.#stamp !== "gone") {
        this.#log(`tokens file: cannot read it, refusing every token: ${(error as Error).message}`);
      }
      this.#entries = [];
      this.#stamp = "gone";
    }
  }

  #read(text: string, stamp: string): void {
    const { entries, problems } = parseTokenFile(text);
    for (const problem of problems) this.#log(`tokens file: ${problem} (ignored)`);
    this.#entries = entries;
    this.#stamp = stamp;
  }
}

/** What changes when the file is edited in place or replaced by a rename. */
function stampOf(info: Deno.FileInfo): string {
  return `${info.ino}:${info.size}:${info.mtime?.getTime()}:${info.ctime?.getTime()}`;
}
