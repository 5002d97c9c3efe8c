/**
 * Keeps every log line one line: what a client sent (a path, a name in an
 * error message) may hold CR, LF or terminal escapes, and written raw it
 * would forge a line of its own, or a whole JSON record.
 *
 * @module
 */

/**
 * Everything but printable characters: C0 and C1 controls (U+0085 is a
 * newline to some viewers), DEL, and the Unicode line and paragraph
 * separators. Written as ranges of what is kept, to name no control character.
 */
const UNPRINTABLE = /[^ -~\u00a0-\u2027\u202a-\uffff]/g;
const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Escapes every control character as `\n`, `\r`, `\t` or `\uXXXX`, and
 * leaves the rest (quotes included) as it is, for text at the end of a line.
 *
 * @param text Any text, such as an error's stack.
 * @returns The text on one line.
 * @example
 * ```ts
 * escapeControls('a "b"\n\u2028'); // 'a "b"\\n\\u2028'
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(
    UNPRINTABLE,
    (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A value for a text log line, inside quotes or between spaces: JSON string
 * escapes (`\n`, `\"`, `\u001b`…) without the quotes, so it can never end
 * the line or its field.
 *
 * @param value Any text, such as a decoded path or an error's stack.
 * @returns The text on one line, every control character escaped.
 * @example
 * ```ts
 * logText('a\nb "c"'); // 'a\\nb \\"c\\"'
 * ```
 */
export function logText(value: string): string {
  return escapeControls(JSON.stringify(value).slice(1, -1));
}

/**
 * One JSON log record on one line, every control character escaped.
 *
 * @param record The fields.
 * @returns The JSON text, without a newline.
 * @example
 * ```ts
 * logJson({ error: "x\u2028y" }); // '{"error":"x\\u2028y"}'
 * ```
 */
export function logJson(record: Record<string, unknown>): string {
  // Those characters only ever appear inside JSON strings, where the escape is valid.
  return escapeControls(JSON.stringify(record));
}
