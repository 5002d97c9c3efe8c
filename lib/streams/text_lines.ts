/**
 * The text-lines serializer: one item per line, gathered into batches.
 *
 * @module
 */

/** Options for {@linkcode textLines}. */
export interface TextLinesOptions {
  /** Lines per yielded string. @default 1024 */
  batchLines?: number;
}

/**
 * Writes each item as one line ending in `\n`, yielding batches of lines.
 *
 * @param lines The lines, without line breaks.
 * @param options The batch size.
 * @returns Strings of whole lines.
 * @throws {TypeError} When an item holds CR or LF: it would not be one line.
 * @example
 * ```ts
 * [...textLines(["a", "b"])].join(""); // "a\nb\n"
 * ```
 */
export function* textLines(
  lines: Iterable<string>,
  options: TextLinesOptions = {},
): Generator<string, void, undefined> {
  const batchLines = options.batchLines ?? 1024;
  let batch = "";
  let count = 0;
  for (const line of lines) {
    if (line.includes("\n") || line.includes("\r")) {
      throw new TypeError(
        `Cannot write ${JSON.stringify(line)} as a text line: it holds a line break`,
      );
    }
    batch += line + "\n";
    if (++count === batchLines) {
      yield batch;
      batch = "";
      count = 0;
    }
  }
  if (batch !== "") yield batch;
}
