/**
 * Signed links: `PATH?QUERY&expires=UNIX&sig=SIG`, where SIG is the
 * HMAC-SHA256 (base64url, no padding) of everything before `&sig=`. Changing
 * the path, any parameter or `expires` breaks the signature; a link is good
 * for GET and HEAD until `expires` (seconds since 1970).
 *
 * Paths are compared as the WHATWG URL parser writes them (`/a/./b` is
 * `/a/b`), which is what the router matches too.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";

/** What checking a link found. */
export type LinkCheck =
  | { kind: "none" }
  | { kind: "valid"; expires: number }
  | { kind: "expired"; expires: number }
  | { kind: "bad-signature" };

const SIG_AT_END = /[?&]sig=([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();

/**
 * Imports an HMAC-SHA256 key from the signing-key file's text (base64url).
 *
 * @param text The file's contents: at least 32 bytes, base64url.
 * @returns The key.
 * @throws {SyntaxError} When the text is not such a key.
 */
export async function importSigningKey(text: string): Promise<CryptoKey> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = Uint8Array.fromBase64(text.trim(), { alphabet: "base64url" });
  } catch {
    throw new SyntaxError("the signing key is not base64url");
  }
  if (bytes.length < 32) throw new SyntaxError("the signing key is shorter than 32 bytes");
  return await crypto.subtle.importKey(
    "raw",
    bytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/**
 * A fresh signing key, as the key file holds it.
 *
 * @returns 32 random bytes, base64url.
 */
export function newSigningKey(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * Signs a path and query until a time.
 *
 * @param key The HMAC key.
 * @param target A path with an optional query, such as `/media/a.mp4?download`.
 * @param expires Seconds since 1970.
 * @returns The link: the target (as the URL parser writes it) with `expires` and `sig`.
 * @throws {TypeError} When the target is not a path, or already has `expires` or `sig`.
 * @example
 * ```ts
 * await signLink(key, "/media/a.mp4", 1_900_000_000); // "/media/a.mp4?expires=1900000000&sig=…"
 * ```
 */
export async function signLink(key: CryptoKey, target: string, expires: number): Promise<string> {
  const url = parseTarget(target);
  if (url.searchParams.has("expires") || url.searchParams.has("sig")) {
    throw new TypeError(`Cannot sign "${target}": it has "expires" or "sig" already`);
  }
  const base = url.pathname + url.search;
  const message = `${base}${url.search === "" ? "?" : "&"}expires=${expires}`;
  return `${message}&sig=${await mac(key, message)}`;
}

/**
 * Checks the signature of a request's path and query.
 *
 * @param key The HMAC key.
 * @param url The request's URL.
 * @param now Seconds since 1970. @default now
 * @returns `none` without a `sig`, else whether it is valid, expired or forged.
 */
export async function checkLink(key: CryptoKey, url: URL, now = Date.now() / 1000): Promise<
  LinkCheck
> {
  if (!url.searchParams.has("sig")) return { kind: "none" };
  const target = url.pathname + url.search;
  const match = SIG_AT_END.exec(target);
  if (match === null) return { kind: "bad-signature" };
  const message = target.slice(0, match.index);
  // As text, not decoded: the last base64url character has bits a decoder may ignore.
  const expected = encoder.encode(await mac(key, message));
  if (!timingSafeEqual(expected, encoder.encode(match[1]))) return { kind: "bad-signature" };
  // Signed, so these are the ones the signer wrote; still, one `expires` and one `sig` only.
  const params = new URLSearchParams(url.search);
  const expires = params.getAll("expires");
  if (expires.length !== 1 || params.getAll("sig").length !== 1 || !/^\d{1,12}$/.test(expires[0])) {
    return { kind: "bad-signature" };
  }
  const at = Number(expires[0]);
  return at > now ? { kind: "valid", expires: at } : { kind: "expired", expires: at };
}

/** Parses `/path?query` as the router will see it; no scheme, host or fragment. */
export function parseTarget(target: string): URL {
  if (!target.startsWith("/") || target.startsWith("//") || target.includes("#")) {
    throw new TypeError(`Cannot sign "${target}": give a path starting with one "/"`);
  }
  return new URL(target, "http://sluice.invalid");
}

async function mac(key: CryptoKey, message: string): Promise<string> {
  const sig = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return new Uint8Array(sig).toBase64({ alphabet: "base64url", omitPadding: true });
}
