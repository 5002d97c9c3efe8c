/**
 * A file's identity (device, inode, size, modification and change times) and the
 * errors for a file that changed or ended under a response.
 *
 * A response's ETag and Content-Length come from one `stat()`; the bytes come
 * from reads that may happen later. Comparing the open file's `fstat()` with that
 * first stat is how a body knows it still sends the file its headers describe.
 *
 * @module
 */

/** The fields of a `stat()` that identify one version of a file. */
export type FileIdentity = Pick<Deno.FileInfo, "dev" | "ino" | "size" | "mtime" | "ctime">;

/** The file changed (or was deleted) after the response's headers were made from it. */
export class FileChangedError extends Error {
  override name = "FileChangedError";
  constructor(message = "The file changed while it was being sent") {
    super(message);
  }
}

/** The file is shorter than the span its headers promised (it shrank under us). */
export class FileEndedError extends Error {
  override name = "FileEndedError";
  constructor() {
    super("The file ended before the requested range");
  }
}

const time = (d: Date | null) => d?.getTime() ?? 0;

/**
 * Whether two stats describe the same version of the same file: same device and
 * inode, same size, same mtime and ctime (an in-place rewrite of the same size
 * still moves both). Times compare in milliseconds, the precision Deno gives.
 *
 * @param a One stat.
 * @param b Another.
 * @returns True when nothing that identifies the file differs.
 * @example
 * ```ts
 * isSameFile(Deno.statSync("a.mp4"), Deno.statSync("a.mp4")); // true
 * ```
 */
export function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size &&
    time(a.mtime) === time(b.mtime) && time(a.ctime) === time(b.ctime);
}

/**
 * Throws unless an open file's current `fstat()` still matches `expected` and
 * the file still has a name (a deleted file keeps its inode while it is open).
 *
 * @param now The open file's `fstat()` (or its path's `stat()`, see `pread_span_sync.ts`).
 * @param expected The stat the response's headers were made from.
 * @throws {FileChangedError} When it changed or was deleted.
 */
export function assertUnchanged(
  now: FileIdentity & { nlink: number | null },
  expected: FileIdentity,
): void {
  if (!isSameFile(now, expected)) throw new FileChangedError();
  if (now.nlink === 0) throw new FileChangedError("The file was deleted while it was being sent");
}
