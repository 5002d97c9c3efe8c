/**
 * The byte records of a stored (method 0) ZIP archive, per PKWARE's APPNOTE
 * 6.3.10: local headers, data descriptors, central directory headers and the
 * end records, with ZIP64 where a size, an offset or the entry count needs it.
 * Pure functions of the layout: the same folder always gives the same bytes,
 * which is what lets a Range of the archive be answered.
 *
 * @module
 */

/** The largest value a 32-bit field holds; it also marks "see the ZIP64 field". */
export const MAX32 = 0xffffffff;
/** The largest entry count a 16-bit field holds; it also marks "see ZIP64". */
export const MAX16 = 0xffff;

/** What the records need to know of one entry, with its place in the archive. */
export interface ZipRecordEntry {
  /** The UTF-8 name in the archive; folders end with `/`. */
  nameBytes: Uint8Array;
  isDirectory: boolean;
  size: number;
  mtimeMs: number;
  /** The entry's sizes need ZIP64 fields (size at or past 4 GiB - 1). */
  zip64: boolean;
  /** Where its local header starts. */
  offset: number;
}

/** General purpose flags: bit 3, sizes and CRC follow the data; bit 11, UTF-8 names. */
const FLAG_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
/** Version made by: Unix (3), spec 4.5, so unzip restores the mode bits below. */
const MADE_BY = (3 << 8) | 45;
/** Unix mode in the high half of the external attributes; 0x10 is MS-DOS's folder bit. */
const FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;
const DIR_ATTRIBUTES = ((0o040755 << 16) | 0x10) >>> 0;

/** The extended timestamp field (0x5455, "UT"): mtime as Unix seconds, UTC. */
const UT_SIZE = 9;

/** Bytes of an entry's local header. */
export function localHeaderSize(e: Pick<ZipRecordEntry, "nameBytes" | "zip64">): number {
  return 30 + e.nameBytes.byteLength + UT_SIZE + (e.zip64 ? 20 : 0);
}

/** Bytes of an entry's data descriptor (folders have none: nothing follows them). */
export function descriptorSize(e: Pick<ZipRecordEntry, "isDirectory" | "zip64">): number {
  return e.isDirectory ? 0 : e.zip64 ? 24 : 16;
}

/** How many 8-byte fields the central header's ZIP64 field carries. */
function central64Fields(e: ZipRecordEntry): number {
  return (e.zip64 ? 2 : 0) + (e.offset >= MAX32 ? 1 : 0);
}

/** Bytes of an entry's central directory header. */
export function centralHeaderSize(e: ZipRecordEntry): number {
  const fields = central64Fields(e);
  return 46 + e.nameBytes.byteLength + UT_SIZE + (fields > 0 ? 4 + 8 * fields : 0);
}

/** Whether the end needs the ZIP64 end record and locator. */
export function needsZip64End(count: number, centralOffset: number, centralSize: number) {
  return count >= MAX16 || centralOffset >= MAX32 || centralSize >= MAX32;
}

/** Bytes of the end records. */
export function endSize(count: number, centralOffset: number, centralSize: number): number {
  return needsZip64End(count, centralOffset, centralSize) ? 56 + 20 + 22 : 22;
}

/** MS-DOS date and time, in UTC so every server makes the same bytes; 1980 at the earliest. */
export function dosDateTime(ms: number): { date: number; time: number } {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 1980)) return { date: (1 << 5) | 1, time: 0 };
  if (year > 2107) return { date: (127 << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** A little-endian writer over a fresh buffer of a known size. */
class Writer {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  #at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
  }
  u16(n: number): this {
    this.#view.setUint16(this.#at, n, true);
    this.#at += 2;
    return this;
  }
  u32(n: number): this {
    this.#view.setUint32(this.#at, n >>> 0, true);
    this.#at += 4;
    return this;
  }
  u64(n: number): this {
    this.#view.setBigUint64(this.#at, BigInt(n), true);
    this.#at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.#at);
    this.#at += b.byteLength;
    return this;
  }
  /** The UT field; its time is clamped to the signed 32 bits the field holds. */
  ut(mtimeMs: number): this {
    const seconds = Math.min(Math.max(Math.floor(mtimeMs / 1000), 0), 0x7fffffff);
    return this.u16(0x5455).u16(5).raw(new Uint8Array([1])).u32(seconds);
  }
}

const flagsOf = (e: ZipRecordEntry) => FLAG_UTF8 | (e.isDirectory ? 0 : FLAG_DESCRIPTOR);
const versionOf = (e: ZipRecordEntry) => (e.zip64 || e.offset >= MAX32 ? 45 : 20);

/**
 * An entry's local header. Its CRC is 0 (bit 3: the data descriptor carries
 * it), so a header can be sent before the file is read; its sizes are the
 * real ones, which streaming readers of stored entries need.
 */
export function localHeader(e: ZipRecordEntry): Uint8Array<ArrayBuffer> {
  const { date, time } = dosDateTime(e.mtimeMs);
  const w = new Writer(localHeaderSize(e))
    .u32(0x04034b50).u16(versionOf(e)).u16(flagsOf(e)).u16(0).u16(time).u16(date).u32(0)
    .u32(e.zip64 ? MAX32 : e.size).u32(e.zip64 ? MAX32 : e.size)
    .u16(e.nameBytes.byteLength).u16(UT_SIZE + (e.zip64 ? 20 : 0))
    .raw(e.nameBytes).ut(e.mtimeMs);
  if (e.zip64) w.u16(0x0001).u16(16).u64(e.size).u64(e.size);
  return w.bytes;
}

/** The data descriptor after a file's bytes: its CRC-32 and sizes. */
export function dataDescriptor(e: ZipRecordEntry, crc: number): Uint8Array<ArrayBuffer> {
  const w = new Writer(descriptorSize(e)).u32(0x08074b50).u32(crc);
  return e.zip64 ? w.u64(e.size).u64(e.size).bytes : w.u32(e.size).u32(e.size).bytes;
}

/** An entry's central directory header. */
export function centralHeader(e: ZipRecordEntry, crc: number): Uint8Array<ArrayBuffer> {
  const { date, time } = dosDateTime(e.mtimeMs);
  const fields = central64Fields(e);
  const w = new Writer(centralHeaderSize(e))
    .u32(0x02014b50).u16(MADE_BY).u16(versionOf(e)).u16(flagsOf(e)).u16(0).u16(time).u16(date)
    .u32(crc).u32(e.zip64 ? MAX32 : e.size).u32(e.zip64 ? MAX32 : e.size)
    .u16(e.nameBytes.byteLength).u16(UT_SIZE + (fields > 0 ? 4 + 8 * fields : 0)).u16(0)
    .u16(0).u16(0).u32(e.isDirectory ? DIR_ATTRIBUTES : FILE_ATTRIBUTES)
    .u32(e.offset >= MAX32 ? MAX32 : e.offset)
    .raw(e.nameBytes).ut(e.mtimeMs);
  if (fields > 0) {
    w.u16(0x0001).u16(8 * fields);
    if (e.zip64) w.u64(e.size).u64(e.size);
    if (e.offset >= MAX32) w.u64(e.offset);
  }
  return w.bytes;
}

/** The end of the archive: the ZIP64 end record and locator when needed, then the EOCD. */
export function endRecords(
  count: number,
  centralOffset: number,
  centralSize: number,
): Uint8Array<ArrayBuffer> {
  const zip64 = needsZip64End(count, centralOffset, centralSize);
  const w = new Writer(endSize(count, centralOffset, centralSize));
  if (zip64) {
    const at = centralOffset + centralSize;
    w.u32(0x06064b50).u64(44).u16(MADE_BY).u16(45).u32(0).u32(0)
      .u64(count).u64(count).u64(centralSize).u64(centralOffset);
    w.u32(0x07064b50).u32(0).u64(at).u32(1);
  }
  const c16 = zip64 && count >= MAX16 ? MAX16 : count;
  w.u32(0x06054b50).u16(0).u16(0).u16(c16).u16(c16)
    .u32(centralSize >= MAX32 ? MAX32 : centralSize)
    .u32(centralOffset >= MAX32 ? MAX32 : centralOffset).u16(0);
  return w.bytes;
}
