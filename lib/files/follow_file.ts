/**
 * Following a file as it grows, like `tail -F`: the bytes from an offset to
 * the end, then the bytes appended later, across truncation (copytruncate)
 * and rotation (a new file under the name), until the file is gone or the
 * follower is stopped.
 *
 * @module
 */

import type { Wakeup } from "./follow_wakeup.ts";

/** What a follower sees. */
export type FollowEvent =
  /** Bytes of the file, from `offset`. */
  | { kind: "data"; offset: number; bytes: Uint8Array }
  /** The same file got shorter than what was read: it is read again from its start. */
  | { kind: "truncated"; size: number }
  /** Another file took the name: it is read from its start. */
  | { kind: "rotated" }
  /** Nothing happened for `idleMs` (a chance for a heartbeat). */
  | { kind: "idle" }
  /** The file was deleted or moved away, and no other took its name: the last event. */
  | { kind: "gone" };

/** Options for {@linkcode followFile}. */
export interface FollowOptions {
  /** The offset to start at (at most the file's size). @default 0 */
  start?: number;
  /** Stops following (the client left, the server drains); the events just end. */
  signal: AbortSignal;
  /** Wakes the follower when the file may have changed. */
  wakeup: Wakeup;
  /**
   * Finds the file now under the followed name, with the same containment
   * checks as the first lookup: its real path, or undefined when nothing
   * servable is there.
   */
  resolve(): Promise<string | undefined>;
  /** Bytes per read. @default 262144 */
  chunkSize?: number;
  /** Yield `idle` after this long without news (0: never). @default 0 */
  idleMs?: number;
  /** How long a missing name is waited for before the file counts as gone. @default 500 */
  goneAfterMs?: number;
}

/**
 * Follows an open file. The generator owns `file` and closes it (and any
 * file it rotates to) when it ends or is returned from.
 *
 * @param file The followed file, open for reading.
 * @param options Where to start, when to stop, and how to find it again.
 * @returns The events, in order; `data` offsets are contiguous within one file.
 * @example
 * ```ts
 * for await (const e of followFile(await Deno.open(path), options)) {
 *   if (e.kind === "data") console.log(e.offset, e.bytes.byteLength);
 * }
 * ```
 */
export async function* followFile(
  file: Deno.FsFile,
  options: FollowOptions,
): AsyncGenerator<FollowEvent, void, undefined> {
  const { signal, wakeup, chunkSize = 262144, idleMs = 0, goneAfterMs = 500 } = options;
  let offset = options.start ?? 0;
  let info = await file.stat();
  /** Bytes known to be in the file: reads go on without a stat until `offset` reaches it. */
  let known = -1;
  /** The file's position, so a sequential read needs no seek. */
  let position = -1;
  let quietSince = performance.now();
  let missingSince: number | undefined;
  try {
    while (!signal.aborted) {
      if (offset >= known) {
        info = await file.stat();
        known = info.size;
        if (known < offset) {
          offset = 0;
          yield { kind: "truncated", size: known };
          continue;
        }
      }
      if (known > offset) {
        if (position !== offset) position = await file.seek(offset, Deno.SeekMode.Start);
        const bytes = await readUpTo(file, Math.min(chunkSize, known - offset));
        // Counted before the yield: the consumer may free the buffer once it is sent.
        const length = bytes.byteLength;
        position += length;
        if (length > 0) {
          yield { kind: "data", offset, bytes };
          offset += length;
          quietSince = performance.now();
          continue;
        }
        // It shrank under us: the next stat says so, after a wait like any quiet spell.
        known = offset;
      }
      // Caught up: is the name still this file?
      const now = await nameState(options, info);
      if (now === "same") missingSince = undefined;
      else if (now === "missing") {
        missingSince ??= performance.now();
        if (performance.now() - missingSince >= goneAfterMs) {
          yield { kind: "gone" };
          return;
        }
      } else {
        // Bytes written just before the rotation are still the old file's.
        const last = await file.stat();
        if (last.size > offset) {
          known = last.size;
          // Read those first; the new file is looked up again once caught up.
          now.close();
          continue;
        }
        file.close();
        file = now;
        offset = 0;
        known = -1;
        position = -1;
        missingSince = undefined;
        yield { kind: "rotated" };
        continue;
      }
      if (idleMs > 0 && performance.now() - quietSince >= idleMs) {
        quietSince = performance.now();
        yield { kind: "idle" };
        continue;
      }
      const untilIdle = idleMs > 0 ? idleMs - (performance.now() - quietSince) : Infinity;
      const untilGone = missingSince === undefined
        ? Infinity
        : goneAfterMs - (performance.now() - missingSince);
      await wakeup.wait(Math.max(1, Math.min(untilIdle, untilGone)), signal);
    }
  } finally {
    file.close();
  }
}

/** Reads up to `length` bytes from the file's position (fewer when the file just shrank). */
async function readUpTo(file: Deno.FsFile, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await file.read(buffer.subarray(filled));
    if (n === null || n === 0) break;
    filled += n;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Whether the name still leads to the open file, to another file (opened,
 * to rotate to), or to nothing servable.
 */
async function nameState(
  options: FollowOptions,
  current: Deno.FileInfo,
): Promise<"same" | "missing" | Deno.FsFile> {
  const real = await options.resolve();
  if (real === undefined) return "missing";
  // lstat and not stat: the resolved name may have been swapped for a symlink
  // since it was resolved (resolve checks containment only at that instant),
  // and stat would describe (and open would then follow to) its target,
  // which may be outside the folder.
  let named: Deno.FileInfo;
  try {
    named = await Deno.lstat(real);
  } catch {
    return "missing";
  }
  if (named.ino === current.ino && named.dev === current.dev) return "same";
  // Opening a FIFO would block until a writer came: only regular files are followed.
  if (!named.isFile) return "missing";
  let next: Deno.FsFile;
  try {
    next = await Deno.open(real, { read: true });
  } catch {
    return "missing";
  }
  const opened = await next.stat();
  // Swapped between the lstat and the open (open follows a symlink put there
  // meanwhile), or the path now leads elsewhere: nothing is followed this
  // time, and the name is looked up again on the next wakeup.
  if (
    !opened.isFile || opened.ino !== named.ino || opened.dev !== named.dev ||
    await options.resolve() !== real
  ) {
    next.close();
    return "missing";
  }
  return next;
}
