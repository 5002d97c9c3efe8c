/**
 * Content-Disposition with an ASCII `filename` and an RFC 8187 `filename*`,
 * through jshttp's `content-disposition`.
 *
 * @module
 */

import { create } from "content-disposition";

/**
 * An ASCII stand-in for a name: accents dropped (é → e), other non-ASCII
 * characters replaced by `_`, so old clients still get a sensible name.
 */
function asciiFallback(name: string): string {
  const ascii = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]+/g, "_");
  return ascii.replace(/^_+$/, "") || "download";
}

/**
 * Builds a Content-Disposition value.
 *
 * @param name The file name to offer; only its last path segment is used.
 * @param type `attachment` to download, `inline` to display.
 * @returns The header value.
 * @example
 * ```ts
 * contentDisposition("café.mp4", "attachment");
 * // 'attachment; filename="cafe.mp4"; filename*=UTF-8\'\'caf%C3%A9.mp4'
 * ```
 */
export function contentDisposition(name: string, type: "attachment" | "inline"): string {
  const base = name.split(/[\\/]/).pop() || "download";
  return create(base, { type, fallback: asciiFallback(base) });
}

/**
 * `attachment; filename="items.csv"` with the name quoted as it is when it is
 * plain ASCII, or {@linkcode contentDisposition}'s form (with `filename*`) when not.
 *
 * @param filename The name to save as.
 * @returns The header value.
 * @example
 * ```ts
 * attachment("items.csv"); // 'attachment; filename="items.csv"'
 * ```
 */
export function attachment(filename: string): string {
  return /^[\x20-\x7e]+$/.test(filename) && !/["\\]/.test(filename)
    ? `attachment; filename="${filename}"`
    : contentDisposition(filename, "attachment");
}
