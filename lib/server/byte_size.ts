/**
 * Byte sizes as people write them in flags: `512k`, `2m`, `1.5g`, `65536`.
 *
 * @module
 */

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * Parses a byte size with an optional binary suffix (k, m, g; `KiB`, `MB`
 * and friends are read the same way, as nginx does).
 *
 * @param text The size, such as `512k`.
 * @returns Whole bytes.
 * @throws {SyntaxError} When the text is not a size.
 * @example
 * ```ts
 * parseByteSize("512k"); // 524288
 * parseByteSize("2m"); // 2097152
 * ```
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (match === null) throw new SyntaxError(`Cannot parse "${text}" as a byte size`);
  return Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]);
}
