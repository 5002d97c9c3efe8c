/**
 * Keeps every log line one line: what a client sent (a path, a name in an
 * error message) may hold CR, LF or terminal escapes, and written raw it
 * would forge a line of its own, or a whole JSON record.
 *
 * @module
 */

/**
 * What `JSON.stringify` leaves raw but a log viewer may still break a line at
 * or act on: DEL, the C1 controls (U+0085 is a newline to some) and the
 * Unicode line and paragraph separators.
 */
const RAW_CONTROLS = /[\u007f-\u009f\u2028\u2029]/g;

function escapeRawControls(text: string): string {
  return text.replace(RAW_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A value for a text log line: JSON string escapes (`\n`, `\"`, `\u001b`…)
 * without the quotes, so it can never end the line.
 *
 * @param value Any text, such as a decoded path or an error's stack.
 * @returns The text on one line, every control character escaped.
 * @example
 * ```ts
 * logText('a\nb "c"'); // 'a\\nb \\"c\\"'
 * ```
 */
export function logText(value: string): string {
  return escapeRawControls(JSON.stringify(value).slice(1, -1));
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
  return escapeRawControls(JSON.stringify(record));
}
