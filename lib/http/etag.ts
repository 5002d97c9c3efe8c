/**
 * Entity tags: making one for a file, and comparing them (RFC 9110 §8.8.3).
 *
 * @module
 */

/**
 * A strong ETag from a file's size and modification time, like nginx's.
 * It needs no read of the content, and every instance that sees the same file
 * (a shared folder, or copies made with preserved mtimes) makes the same tag.
 *
 * @param info The file's `stat()`.
 * @returns A quoted strong tag such as `"1f4-18c2a9e3b10"`.
 * @example
 * ```ts
 * fileEtag({ size: 500, mtime: new Date(0) } as Deno.FileInfo); // '"1f4-0"'
 * ```
 */
export function fileEtag(info: Pick<Deno.FileInfo, "size" | "mtime">): string {
  const mtime = info.mtime?.getTime() ?? 0;
  return `"${info.size.toString(16)}-${mtime.toString(16)}"`;
}

/** Whether a tag is weak (`W/"..."`). */
export function isWeak(tag: string): boolean {
  return tag.startsWith("W/");
}

function opaque(tag: string): string {
  return isWeak(tag) ? tag.slice(2) : tag;
}

/** Strong comparison (RFC 9110 §8.8.3.2): both strong and equal. */
export function isStrongMatch(a: string, b: string): boolean {
  return !isWeak(a) && !isWeak(b) && a === b;
}

/** Weak comparison (RFC 9110 §8.8.3.2): equal once any `W/` is dropped. */
export function isWeakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

/**
 * Splits an `If-Match`/`If-None-Match` value into its tags. Commas inside a
 * quoted tag are kept; `*` comes back as `["*"]`.
 *
 * @param header The field value.
 * @returns The tags, each with its quotes (and `W/`), in order.
 * @example
 * ```ts
 * parseEtagList('W/"a", "b,c"'); // ['W/"a"', '"b,c"']
 * ```
 */
export function parseEtagList(header: string): string[] {
  if (header.trim() === "*") return ["*"];
  return header.match(/(?:W\/)?"[^"]*"/g) ?? [];
}
