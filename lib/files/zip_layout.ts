/**
 * Places a folder's entries in a stored ZIP archive: where each record
 * starts, the archive's exact length and its validators, all from names and
 * `stat()`s alone, before any file is read.
 *
 * @module
 */

import {
  centralHeaderSize,
  descriptorSize,
  endSize,
  localHeaderSize,
  MAX32,
  type ZipRecordEntry,
} from "./zip_records.ts";

/** One file or folder to put in the archive, as {@linkcode readZipEntries} finds it. */
export interface ZipSource {
  /** The name in the archive, `/`-separated; folders end with `/`. */
  name: string;
  /** The real path to read (symlinks resolved); unused for folders. */
  path: string;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
  /** Identity, to notice a file replaced or rewritten while it is sent. */
  dev: number;
  ino: number;
  ctimeMs: number;
}

/** An entry with its place in the archive. */
export interface PlacedEntry extends ZipSource, ZipRecordEntry {
  /** Where its bytes start (after the local header). */
  dataOffset: number;
  /** Where its data descriptor starts (equal to `end` for a folder). */
  descriptorOffset: number;
  /** Where the next entry's local header starts. */
  end: number;
  /** Where its central directory header starts. */
  centralAt: number;
}

/** The whole archive, laid out. */
export interface ZipLayout {
  /** Sorted by name, as the archive holds them. */
  entries: PlacedEntry[];
  centralOffset: number;
  centralSize: number;
  /** Where the end records start. */
  endOffset: number;
  /** The archive's exact length in bytes. */
  size: number;
  /** A strong ETag from every entry's name, size and mtime. */
  etag: string;
  /** The newest entry's mtime, in ms (0 for an empty folder). */
  lastModified: number;
}

const encoder = new TextEncoder();

/** Orders by the names' UTF-8 bytes, the same on every machine and locale. */
function compareNames(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.byteLength - b.byteLength;
}

/**
 * Lays out a stored ZIP of `sources`: sorted by name, each entry a local
 * header, its bytes and (for files) a data descriptor, then the central
 * directory and the end records.
 *
 * @param sources The entries, in any order.
 * @returns The layout, with the exact size and a strong ETag.
 * @example
 * ```ts
 * const layout = await layoutZip(await readZipEntries("/srv/media/docs", "/srv/media"));
 * layout.size; // the Content-Length of the archive
 * ```
 */
export async function layoutZip(sources: ZipSource[]): Promise<ZipLayout> {
  const named = sources.map((s) => ({ source: s, nameBytes: encoder.encode(s.name) }))
    .sort((a, b) => compareNames(a.nameBytes, b.nameBytes));
  const entries: PlacedEntry[] = [];
  let at = 0;
  for (const { source, nameBytes } of named) {
    const zip64 = source.size >= MAX32;
    const dataOffset = at + localHeaderSize({ nameBytes, zip64 });
    const descriptorOffset = dataOffset + source.size;
    const end = descriptorOffset + descriptorSize({ isDirectory: source.isDirectory, zip64 });
    entries.push({
      ...source,
      nameBytes,
      zip64,
      offset: at,
      dataOffset,
      descriptorOffset,
      end,
      centralAt: 0,
    });
    at = end;
  }
  const centralOffset = at;
  for (const e of entries) {
    e.centralAt = at;
    at += centralHeaderSize(e);
  }
  const centralSize = at - centralOffset;
  const size = at + endSize(entries.length, centralOffset, centralSize);
  return {
    entries,
    centralOffset,
    centralSize,
    endOffset: at,
    size,
    etag: await zipEtag(entries),
    lastModified: entries.reduce((max, e) => Math.max(max, e.mtimeMs), 0),
  };
}

/** `"zip-"` and 128 bits of SHA-256 over every name, size and mtime. */
async function zipEtag(entries: PlacedEntry[]): Promise<string> {
  const text = entries.map((e) => `${e.name}\0${e.size}\0${e.mtimeMs}\n`).join("");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  const hex = [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `"zip-${hex}"`;
}
