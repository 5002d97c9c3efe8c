/**
 * The open-file cache's reads: a span at an offset with one `pread` on a
 * shared fd, checked against the stat the response was made from.
 *
 * `readSpanSync` needs a seek before each read (Deno's `FsFile` has no
 * positional read); node:fs's `readSync` with a position is one `pread`. On
 * this project's machine every syscall is dear (a seek cost as much as the
 * read in `--cpu-prof`), and random 4 KiB ranges took about a sixth less
 * server CPU per request with one fewer (see README "Performance").
 *
 * @module
 */

import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { HttpError } from "../http/http_error.ts";
import { assertUnchanged, FileChangedError, FileEndedError } from "./file_identity.ts";
import type { FileIdentity } from "./file_identity.ts";
import { isNotThere } from "./safe_path.ts";

/** node:fs errors for a file that is not there for us, as `isNotThere` names Deno's. */
const NOT_THERE = new Set(["ENOENT", "ENOTDIR", "ELOOP", "EACCES", "EPERM", "ENAMETOOLONG"]);

/**
 * Opens `path` for positional reads and checks, once, with `fstat`, that the
 * fd is the file `expected` describes: the path may have been swapped (for a
 * symlink leading elsewhere) since it was resolved, and later reads only
 * check the path, which a swap and a swap back could fool.
 *
 * @param path The file's real path.
 * @param expected The stat the responses are made from.
 * @returns A node:fs fd; close it with `closeSync`.
 * @throws {HttpError} 404 when the file is gone or we may not read it.
 * @throws {FileChangedError} When the opened file is another version.
 * @example
 * ```ts
 * const fd = openFdSync("media/a.mp4", Deno.statSync("media/a.mp4"));
 * ```
 */
export function openFdSync(path: string, expected: FileIdentity): number {
  let fd: number;
  try {
    // O_NONBLOCK: a name swapped for a FIFO would otherwise hold this
    // synchronous open, and with it the whole server, until something writes
    // to it; the fstat below then refuses it. Regular files ignore the flag.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (NOT_THERE.has((error as { code?: string })?.code ?? "")) {
      throw new HttpError(404, "No such file");
    }
    throw error;
  }
  try {
    const now = fstatSync(fd);
    assertUnchanged({ ...now, nlink: now.nlink }, expected);
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/**
 * Reads `length` bytes at `start` of `fd` with `pread` (no seek, so any
 * number of requests may share the fd), then `lstat`s `path`: the fd was
 * checked when it was opened, and as long as the path still names that same
 * version (device, inode, size, times), the bytes read are that version's.
 *
 * @param fd From {@linkcode openFdSync}.
 * @param path The path it was opened from.
 * @param start The first byte.
 * @param length How many bytes (at most one chunk: it blocks the event loop).
 * @param expected The stat the response's headers were made from.
 * @returns The bytes, in a buffer of their own.
 * @throws {FileEndedError} When the file is shorter than the span.
 * @throws {FileChangedError} When the path names another version, or nothing.
 * @example
 * ```ts
 * const info = Deno.statSync("media/a.mp4");
 * const bytes = preadSpanSync(openFdSync("media/a.mp4", info), "media/a.mp4", 0, 4096, info);
 * ```
 */
export function preadSpanSync(
  fd: number,
  path: string,
  start: number,
  length: number,
  expected: FileIdentity,
): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  // Bounded: every pass reads at least one byte or throws.
  for (let got = 0; got < length;) {
    const n = readSync(fd, bytes, got, length - got, start + got);
    if (n === 0) throw new FileEndedError();
    got += n;
  }
  let now: Deno.FileInfo;
  try {
    // lstat: a name swapped for a symlink is another file, whatever it leads to.
    now = Deno.lstatSync(path);
  } catch (error) {
    if (isNotThere(error)) {
      throw new FileChangedError("The file was deleted while it was being sent");
    }
    throw error;
  }
  assertUnchanged(now, expected);
  return bytes;
}

/**
 * Reads one span through an fd of its own, opened and closed around it: for a
 * body whose file the open-file cache does not hold (it is off, or let the
 * entry go). The same non-blocking open and checks as the cache's reads, so a
 * name swapped for a FIFO is refused rather than waited on.
 *
 * @param path The file's real path.
 * @param start The first byte.
 * @param length How many bytes (at most one chunk: it blocks the event loop).
 * @param expected The stat the response's headers were made from.
 * @returns The bytes.
 * @throws {HttpError} 404 when the file is gone or we may not read it.
 * @throws {FileChangedError} When the path names another version, or nothing.
 * @throws {FileEndedError} When the file is shorter than the span.
 */
export function preadSpanOnceSync(
  path: string,
  start: number,
  length: number,
  expected: FileIdentity,
): Uint8Array<ArrayBuffer> {
  const fd = openFdSync(path, expected);
  try {
    return preadSpanSync(fd, path, start, length, expected);
  } finally {
    closeSync(fd);
  }
}
