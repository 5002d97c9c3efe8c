/**
 * How one SQLite value is written in a CSV export (RFC 4180), plainly or
 * defused against spreadsheet formula injection.
 *
 * @module
 */

const NEEDS_QUOTES = /[",\r\n]/;
/** What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number such as `-12.5` or `+3e4`: read as a number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Encodes one value as a CSV field. Fields holding a comma, a double quote,
 * CR or LF are quoted, with inner quotes doubled (RFC 4180 §2.6–2.7).
 *
 * - NULL → an empty, unquoted field; the empty string → `""`, so the two stay
 *   apart (as in PostgreSQL's CSV).
 * - INTEGER (also beyond 2^53) → its decimal digits; REAL → the shortest
 *   digits that read back to the same double (`0.1`, `1e+21`, `Infinity`).
 * - BLOB → standard padded base64.
 *
 * @param value A value from node:sqlite, or a column name.
 * @returns The field, ready to join with commas.
 * @throws {TypeError} For a value SQLite cannot return.
 * @example
 * ```ts
 * csvField('say "hi", twice'); // '"say ""hi"", twice"'
 * csvField(null); // ''
 * ```
 */
export function csvField(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (value === "") return '""';
      return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    case "bigint":
    case "number":
    case "boolean":
      return `${value}`;
    case "object":
      if (value === null) return "";
      if (value instanceof Uint8Array) return value.toBase64();
  }
  throw new TypeError(`Cannot encode a value of type ${typeof value} as CSV`);
}

/**
 * Like {@linkcode csvField}, but text (and base64) that a spreadsheet would
 * run as a formula — starting with `=`, `+`, `-`, `@`, tab or CR — gets a `'`
 * in front, as OWASP recommends. Numbers are written as they are: typed
 * numbers and text that is a plain number (`-12.5`) are read as numbers, and
 * a number cannot call anything.
 *
 * @param value A value from node:sqlite or PostgreSQL, or a column name.
 * @returns The field, ready to join with commas.
 * @throws {TypeError} For a value SQLite cannot return.
 * @example
 * ```ts
 * csvSafeField('=HYPERLINK("http://x")'); // '"\'=HYPERLINK(""http://x"")"'
 * csvSafeField("-12.5"); // '-12.5'
 * ```
 */
export function csvSafeField(value: unknown): string {
  if (typeof value === "string") return csvField(defuseFormula(value));
  if (value instanceof Uint8Array) return defuseFormula(value.toBase64());
  return csvField(value);
}

/** `'` before text that starts with a formula character and is not a plain number. */
function defuseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}
