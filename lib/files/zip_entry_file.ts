/**
 * Opens and reads one file of a ZIP archive while checking it is still the
 * file the archive was laid out from: same inode, size and mtime when it is
 * opened and after its bytes were read. Anything else fails the archive
 * rather than let a changed file into an archive that would look complete.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { FileChangedError, FileEndedError, isSameFile } from "./file_identity.ts";
import type { ZipSource } from "./zip_layout.ts";

/** Bytes per read while computing a CRC-32 alone (no client waits on each read). */
const CRC_CHUNK = 1024 * 1024;

/** Throws unless `info` is the file `entry` was laid out from, and it still has a name. */
export function checkUnchanged(entry: ZipSource, info: Deno.FileInfo): void {
  const identity = {
    dev: entry.dev,
    ino: entry.ino,
    size: entry.size,
    mtime: new Date(entry.mtimeMs),
    ctime: new Date(entry.ctimeMs),
  };
  if (!isSameFile(info, identity) || info.nlink === 0) {
    throw new FileChangedError(`"${entry.name}" changed while the archive was being sent`);
  }
}

/**
 * Opens an entry's file and checks it is unchanged.
 *
 * @param entry The entry, as laid out.
 * @returns The open file; the caller closes it.
 * @throws {FileChangedError} When it is gone or is another file now.
 */
export async function openEntry(entry: ZipSource): Promise<Deno.FsFile> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(entry.path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new FileChangedError(
        `"${entry.name}" disappeared while the archive was being sent`,
      );
    }
    throw error;
  }
  try {
    checkUnchanged(entry, await file.stat());
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

/**
 * Reads a whole entry to compute its CRC-32 (node:zlib's, native code): for a
 * range that needs the CRC of an entry whose bytes it does not send.
 *
 * @param entry A file entry.
 * @returns Its CRC-32, as an unsigned number.
 * @throws {FileChangedError} When the file is not the one laid out.
 */
export async function computeEntryCrc(entry: ZipSource): Promise<number> {
  const file = await openEntry(entry);
  try {
    let crc = 0;
    let remaining = entry.size;
    const buffer = new Uint8Array(Math.min(CRC_CHUNK, Math.max(entry.size, 1)));
    while (remaining > 0) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.byteLength, remaining)));
      if (n === null) throw new FileEndedError();
      crc = crc32(buffer.subarray(0, n), crc);
      remaining -= n;
    }
    checkUnchanged(entry, await file.stat());
    return crc >>> 0;
  } finally {
    file.close();
  }
}
