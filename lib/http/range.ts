/**
 * Range requests (RFC 9110 §14) on top of jshttp's `range-parser`, plus the
 * policy it leaves to us: coalescing, a cap on the number of ranges, and a
 * guard against overlapping ranges that ask for more than the file.
 *
 * @module
 */

import { combineRanges, parse } from "range-parser";

/** An inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What a Range header asks of a representation of a given size. */
export type RangeRequest =
  /** No usable Range: serve the whole representation (200). */
  | { kind: "none"; reason: "absent" | "malformed" | "unit" | "too-many" | "oversized" | "empty" }
  /** Serve these ranges (206), coalesced, in the order they were asked. */
  | { kind: "ranges"; ranges: ByteRange[] }
  /** No range overlaps the representation (416). */
  | { kind: "unsatisfiable" };

/** Options for {@linkcode parseRange}. */
export interface ParseRangeOptions {
  /** Requests with more ranges than this get the whole file. @default 50 */
  maxRanges?: number;
}

/**
 * Interprets a Range header for a representation of `size` bytes.
 *
 * A malformed header or another unit is ignored (§14.2 lets a server ignore
 * Range), so the client gets a 200, as with nginx's `max_ranges` and
 * pillarjs/send; only a well-formed header with no satisfiable range is a 416.
 *
 * @param header The Range field value, or null.
 * @param size The representation's length in bytes.
 * @returns A tagged result; ranges are coalesced when they overlap or touch.
 * @example
 * ```ts
 * parseRange("bytes=0-99,50-149", 1000); // { kind: "ranges", ranges: [{ start: 0, end: 149 }] }
 * parseRange("bytes=2000-", 1000); // { kind: "unsatisfiable" }
 * ```
 */
export function parseRange(
  header: string | null,
  size: number,
  options: ParseRangeOptions = {},
): RangeRequest {
  const { maxRanges = 50 } = options;
  if (header === null) return { kind: "none", reason: "absent" };
  const parsed = parse(size, header);
  if (parsed.type !== "bytes") {
    return { kind: "none", reason: parsed.type === "" ? "malformed" : "unit" };
  }
  // Bit 1: some element does not parse. The whole header is then ignored.
  if (parsed.code & 1) return { kind: "none", reason: "malformed" };
  if (parsed.ranges.length === 0) {
    // Bit 2: every element lies past the end. Otherwise only suffix ranges of
    // an empty file were asked, which the empty 200 satisfies.
    return parsed.code & 2 ? { kind: "unsatisfiable" } : { kind: "none", reason: "empty" };
  }
  if (parsed.ranges.length > maxRanges) return { kind: "none", reason: "too-many" };
  const asked = parsed.ranges.reduce((sum, r) => sum + r.end - r.start + 1, 0);
  if (asked > size) return { kind: "none", reason: "oversized" };
  const ranges = combineRanges(parsed.ranges).map(({ start, end }) => ({ start, end }));
  return { kind: "ranges", ranges };
}
