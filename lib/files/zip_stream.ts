/**
 * The bytes of a laid-out ZIP archive, or of any span of it, read on demand.
 *
 * CRC-32s: each file's CRC is computed while its bytes are sent and written
 * in the data descriptor after them, so nothing is read twice for a whole
 * download. A span that starts inside or after an entry still needs that
 * entry's CRC (for its descriptor, and for the central directory): it comes
 * from the shared {@linkcode CrcCache}, or the file is read once to compute it.
 *
 * @module
 */

import { crc32 } from "node:zlib";
import { ByteBatch } from "../streams/byte_batch.ts";
import { pullStream } from "../streams/pull_stream.ts";
import type { CrcCache } from "./crc_cache.ts";
import { DEFAULT_CHUNK_SIZE, fileChunks } from "./file_stream.ts";
import { checkUnchanged, computeEntryCrc, openEntry } from "./zip_entry_file.ts";
import type { PlacedEntry, ZipLayout } from "./zip_layout.ts";
import { centralHeader, dataDescriptor, endRecords, localHeader } from "./zip_records.ts";

/** Options for {@linkcode zipStream}. */
export interface ZipStreamOptions {
  /** CRCs shared across responses. */
  cache: CrcCache;
  /** First byte to send. @default 0 */
  start?: number;
  /** Last byte to send, inclusive. @default the archive's last */
  end?: number;
  /** Bytes per read of a file. @default 262144 */
  chunkSize?: number;
}

type Segment =
  | {
    kind: "local" | "data" | "descriptor" | "central";
    at: number;
    length: number;
    entry: PlacedEntry;
  }
  | { kind: "end"; at: number; length: number };

/** The first index whose `limit(entry)` lies past `offset` (entries are in archive order). */
function firstPast(entries: PlacedEntry[], offset: number, limit: (e: PlacedEntry) => number) {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (limit(entries[mid]) > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The archive's records in order, from the one that holds byte `from`. */
function* segmentsFrom(layout: ZipLayout, from: number): Generator<Segment> {
  const { entries } = layout;
  for (let i = firstPast(entries, from, (e) => e.end); i < entries.length; i++) {
    const e = entries[i];
    yield { kind: "local", at: e.offset, length: e.dataOffset - e.offset, entry: e };
    yield { kind: "data", at: e.dataOffset, length: e.size, entry: e };
    yield {
      kind: "descriptor",
      at: e.descriptorOffset,
      length: e.end - e.descriptorOffset,
      entry: e,
    };
  }
  const centralEnd = (i: number) =>
    i + 1 < entries.length ? entries[i + 1].centralAt : layout.endOffset;
  const first = firstPast(entries, from, (e) => e.centralAt) - 1;
  for (let i = Math.max(first, 0); i < entries.length; i++) {
    const e = entries[i];
    yield { kind: "central", at: e.centralAt, length: centralEnd(i) - e.centralAt, entry: e };
  }
  yield { kind: "end", at: layout.endOffset, length: layout.size - layout.endOffset };
}

/** Header bytes are gathered up to this much before they are sent. */
const BATCH = 64 * 1024;

async function* zipChunks(layout: ZipLayout, options: ZipStreamOptions) {
  const { cache, start = 0, end = layout.size - 1, chunkSize = DEFAULT_CHUNK_SIZE } = options;
  /** CRCs this response computed or looked up, by entry. */
  const crcs = new Map<PlacedEntry, number>();
  const crcOf = async (e: PlacedEntry) => {
    if (e.isDirectory) return 0;
    let crc = crcs.get(e);
    if (crc === undefined) crcs.set(e, crc = await cache.crcOf(e, computeEntryCrc));
    return crc;
  };
  // Headers and records are small: sent in batches, not one write each.
  const batch = new ByteBatch({ bytes: BATCH });

  for (const seg of segmentsFrom(layout, start)) {
    if (seg.at > end) break;
    const from = Math.max(start, seg.at) - seg.at;
    const to = Math.min(end + 1, seg.at + seg.length) - seg.at;
    if (seg.kind === "data") {
      const e = seg.entry;
      if (e.isDirectory) continue;
      const records = batch.take();
      if (records !== undefined) yield records;
      yield* fileBytes(e, from, to, (crc) => {
        crcs.set(e, crc);
        cache.set(e, crc);
      }, chunkSize);
      continue;
    }
    if (to <= from) continue;
    let bytes: Uint8Array<ArrayBuffer>;
    if (seg.kind === "local") bytes = localHeader(seg.entry);
    else if (seg.kind === "descriptor") bytes = dataDescriptor(seg.entry, await crcOf(seg.entry));
    else if (seg.kind === "central") bytes = centralHeader(seg.entry, await crcOf(seg.entry));
    else bytes = endRecords(layout.entries.length, layout.centralOffset, layout.centralSize);
    const full = batch.add(bytes.subarray(from, to));
    if (full !== undefined) yield full;
  }
  const last = batch.take();
  if (last !== undefined) yield last;
}

/**
 * Sends bytes `from..to` (exclusive) of an entry's file, checking it is the
 * file laid out; when they are all of it, reports their CRC-32.
 */
async function* fileBytes(
  e: PlacedEntry,
  from: number,
  to: number,
  onCrc: (crc: number) => void,
  chunkSize: number,
) {
  // An empty file is still opened: one that vanished must fail the archive too.
  if (to <= from && !(e.size === 0 && from === 0)) return;
  const file = await openEntry(e);
  try {
    let crc = 0;
    for await (const chunk of fileChunks(file, { start: from, end: to - 1, chunkSize })) {
      if (from === 0) crc = crc32(chunk, crc);
      yield chunk;
    }
    if (from === 0 && to === e.size) {
      // Grown, rewritten or deleted while read: fail now, before its descriptor claims it whole.
      checkUnchanged(e, await file.stat());
      onCrc(crc >>> 0);
    }
  } finally {
    file.close();
  }
}

/**
 * Streams bytes `start..end` of the archive `layout` describes, reading files
 * only as the client takes bytes. The stream errors (the client sees a
 * truncated transfer) when a file is not the one laid out.
 *
 * @param layout From {@linkcode layoutZip}.
 * @param options The span, and the CRC cache.
 * @returns A stream suitable as a `Response` body.
 * @example
 * ```ts
 * const body = zipStream(layout, { cache: new CrcCache(), start: 1000 });
 * ```
 */
export function zipStream(
  layout: ZipLayout,
  options: ZipStreamOptions,
): ReadableStream<Uint8Array> {
  // Cancelling returns the generator, whose finally closes the file being read.
  return pullStream(zipChunks(layout, options));
}
