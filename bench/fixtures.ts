/**
 * Big files for the bench, made once under bench/.work/ and kept between runs.
 *
 * @module
 */

const BLOCK = 1024 * 1024;

/** A 1 MiB block of random bytes (getRandomValues fills 64 KiB per call). */
function randomBlock(): Uint8Array {
  const block = new Uint8Array(BLOCK);
  for (let at = 0; at < BLOCK; at += 65536) crypto.getRandomValues(block.subarray(at, at + 65536));
  return block;
}

/**
 * Makes `path` a file of `size` bytes, unless it already is one: a random
 * 1 MiB block written over and over, so every page is real (not sparse) but
 * making it costs no more than the writes.
 *
 * @param path Where the file goes.
 * @param size Its size in bytes.
 * @returns True when it was written now, false when it was already there.
 */
export async function ensureFixture(path: string, size: number): Promise<boolean> {
  try {
    if ((await Deno.stat(path)).size === size) return false;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // Written under another name first, so a run cut short leaves no short file behind.
  const partial = `${path}.partial`;
  const block = randomBlock();
  {
    using file = await Deno.open(partial, { write: true, create: true, truncate: true });
    for (let written = 0; written < size;) {
      const piece = block.subarray(0, Math.min(BLOCK, size - written));
      for (let at = 0; at < piece.byteLength;) at += await file.write(piece.subarray(at));
      written += piece.byteLength;
    }
  }
  await Deno.rename(partial, path);
  return true;
}

/**
 * Reads a file through once, so the measurements that follow find it in the
 * page cache rather than on disk.
 *
 * @param path The file.
 * @returns The bytes read.
 */
export async function warmPageCache(path: string): Promise<number> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(BLOCK);
  let total = 0;
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) total += n;
  return total;
}
