/**
 * Maps a URL path below a root folder to a real file-system path that is
 * guaranteed to lie inside that folder.
 *
 * @module
 */

import { join, sep } from "node:path";
import { HttpError } from "../http/http_error.ts";

/**
 * Decodes the segments of a URL path and rejects every way out of the root.
 *
 * Each segment is percent-decoded on its own, so an encoded `%2f` or `%5c`
 * cannot smuggle a separator in; `.`/`..`, backslashes and dotfiles are
 * refused. The WHATWG URL parser has already folded raw and `%2e%2e` dot
 * segments, so these checks are the second line, not the only one.
 *
 * @param urlPath The path below the route prefix, still percent-encoded.
 * @returns The decoded segments (empty for the root itself).
 * @throws {HttpError} 400 for malformed percent-encoding or a NUL byte; 404
 * for anything that would leave the root or name a dotfile.
 * @example
 * ```ts
 * decodePathSegments("clips/caf%C3%A9.mp4"); // ["clips", "café.mp4"]
 * ```
 */
export function decodePathSegments(urlPath: string): string[] {
  const segments: string[] = [];
  for (const raw of urlPath.split("/")) {
    if (raw === "") continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, "The path has malformed percent-encoding");
    }
    if (segment.includes("\0")) throw new HttpError(400, "The path contains a NUL byte");
    if (!isServableName(segment)) throw new HttpError(404, "No such file");
    segments.push(segment);
  }
  return segments;
}

/**
 * Whether one decoded name may be served: not a dotfile (nor `.`/`..`), no
 * separator of either kind, no NUL, and at most 255 bytes (NAME_MAX; the file
 * system would answer ENAMETOOLONG). Listings show only such names.
 *
 * @param name One path segment, decoded.
 * @returns True when the media route would serve it.
 * @example
 * ```ts
 * isServableName("clip.mp4"); // true
 * isServableName("a\\b.txt"); // false
 * ```
 */
export function isServableName(name: string): boolean {
  return !name.startsWith(".") && !/[\\/\0]/.test(name) &&
    // At most 3 UTF-8 bytes per UTF-16 unit: only a long name needs encoding.
    !(name.length > 85 && new TextEncoder().encode(name).byteLength > 255);
}

/**
 * Whether `path` is `root` or lies below it. Compares whole segments, so a
 * sibling `media-evil` is not inside `media`.
 */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Whether a real path may be served from below `realRoot`: it lies inside,
 * and no segment below the root is a dotfile or dot-folder (a symlink with an
 * ordinary name may still lead to `.env` or into `.git/`).
 *
 * @param realRoot The root folder's real path.
 * @param real A real path (symlinks resolved).
 * @returns True when serving or listing it is allowed.
 * @example
 * ```ts
 * isServable("/srv/media", "/srv/media/clips/a.mp4"); // true
 * isServable("/srv/media", "/srv/media/.git/config"); // false
 * isServable("/srv/media", "/srv/media-evil/a.mp4"); // false
 * ```
 */
export function isServable(realRoot: string, real: string): boolean {
  return isInside(realRoot, real) &&
    !real.slice(realRoot.length).split(sep).some((s) => s.startsWith("."));
}

/**
 * Errors that mean "nothing servable here", answered 404 without detail: from
 * resolving the path, and from opening a file we may not read.
 *
 * @param error What a file system call threw.
 * @returns True for a missing, looping, unreadable or over-long path.
 */
export function isNotThere(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.NotADirectory ||
    error instanceof Deno.errors.FilesystemLoop ||
    error instanceof Deno.errors.PermissionDenied ||
    // A path longer than PATH_MAX, though each name fits.
    (error as { code?: string })?.code === "ENAMETOOLONG";
}

/**
 * Resolves URL path segments below `root`, following symlinks, and checks the
 * real path is still inside the root's real path.
 *
 * @param realRoot The root folder's real path (`Deno.realPath` of it).
 * @param segments Decoded segments from {@linkcode decodePathSegments}.
 * @returns The real path of the file or folder.
 * @throws {HttpError} 404 when it does not exist or lies outside the root.
 */
export async function resolveInside(realRoot: string, segments: string[]): Promise<string> {
  let real: string;
  try {
    real = await Deno.realPath(join(realRoot, ...segments));
  } catch (error) {
    if (isNotThere(error)) throw new HttpError(404, "No such file");
    throw error;
  }
  if (!isServable(realRoot, real)) throw new HttpError(404, "No such file");
  return real;
}
