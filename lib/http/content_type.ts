/**
 * Content-Type from a file name, from the mime-db table through jshttp's
 * `mime-types` (the table @std/media-types vendors too).
 *
 * @module
 */

// @ts-types="npm:@types/mime-types@3.0.1"
import { contentType } from "mime-types";

/** The type sent when the extension is unknown. */
export const FALLBACK_TYPE = "application/octet-stream";

/**
 * The Content-Type for a file name, with `charset=utf-8` for text types.
 *
 * @param name A file name or path; only its extension counts, case-insensitively.
 * @returns A full Content-Type value.
 * @example
 * ```ts
 * contentTypeFor("clip.MP4"); // "video/mp4"
 * contentTypeFor("app.log"); // "text/plain; charset=utf-8"
 * contentTypeFor("blob.xyz123"); // "application/octet-stream"
 * ```
 */
export function contentTypeFor(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return FALLBACK_TYPE;
  const type = contentType(base.slice(dot).toLowerCase());
  return type === false ? FALLBACK_TYPE : type.replace(/charset=UTF-8/i, "charset=utf-8");
}
