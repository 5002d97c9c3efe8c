// @ts-check
/**
 * The page's logic that needs no DOM: formatting, splitting a streamed body
 * into rows as it arrives, rates, and export URLs. The browser loads it as
 * `/ui/page_logic.js`; tests/routes/page/page_logic_test.ts imports it in Deno.
 *
 * @module
 */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
const COUNT = new Intl.NumberFormat("en-US");

/**
 * Bytes for people, in powers of 1024 with three significant digits.
 *
 * @param {number} bytes
 * @returns {string} Such as `"999 B"`, `"1.50 KiB"` or `"12.3 MiB"`.
 */
export function formatBytes(bytes) {
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) {
    n /= 1024;
    i++;
  }
  if (i === 0) return `${n} B`;
  const digits = n < 10 ? 2 : n < 100 ? 1 : 0;
  return `${n.toFixed(digits)} ${BYTE_UNITS[i]}`;
}

/**
 * A count with thousands separators, the same in every locale (the tests
 * compare it).
 *
 * @param {number} n
 * @returns {string} Such as `"1,234,567"`.
 */
export function formatCount(n) {
  return COUNT.format(n);
}

/**
 * Elapsed time for people.
 *
 * @param {number} ms
 * @returns {string} `"42 ms"`, `"12.3 s"`, `"2 min 05 s"`.
 */
export function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
}

/**
 * A share as a whole percentage, never 100% before it is all there.
 *
 * @param {number} share From 0 to 1.
 * @returns {string} Such as `"42%"`; `"99%"` for 0.999, `"100%"` only for 1 (or more).
 */
export function formatPercent(share) {
  if (share >= 1) return "100%";
  return `${Math.min(99, Math.floor(Math.max(0, share) * 100))}%`;
}

/**
 * What the player or previewer does with a file, from its extension.
 *
 * @param {string} name
 * @returns {"video" | "audio" | "image" | "text" | "file"}
 */
export function mediaKind(name) {
  const dot = name.lastIndexOf(".");
  const ext = dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
  if (/^(mp4|m4v|webm|ogv|mov)$/.test(ext)) return "video";
  if (/^(mp3|m4a|aac|oga|ogg|opus|wav|flac)$/.test(ext)) return "audio";
  if (/^(png|jpe?g|gif|webp|avif|svg|bmp|ico)$/.test(ext)) return "image";
  if (/^(txt|md|log|csv|ndjson|jsonl|json|xml|html?|css|js|ts|ya?ml|toml|ini|srt|vtt)$/.test(ext)) {
    return "text";
  }
  return "file";
}

/**
 * A rate over the last `windowMs`, from cumulative totals sampled as they
 * grow: an average since the start would hide a stall or a burst.
 */
export class RateMeter {
  /** @type {Array<[number, number]>} [time in ms, total] */
  #samples = [];
  #windowMs;

  /** @param {number} [windowMs] How far back the rate looks. */
  constructor(windowMs = 1000) {
    this.#windowMs = windowMs;
  }

  /**
   * Records the total at a time (times must not go backwards).
   *
   * @param {number} time In ms, such as `performance.now()`.
   * @param {number} total The cumulative count.
   */
  add(time, total) {
    this.#samples.push([time, total]);
    // Keep one sample at or past the window's edge as the anchor.
    while (this.#samples.length > 2 && this.#samples[1][0] <= time - this.#windowMs) {
      this.#samples.shift();
    }
  }

  /** @returns {number} Units per second over the window; 0 before two samples. */
  rate() {
    if (this.#samples.length < 2) return 0;
    const [t0, n0] = this.#samples[0];
    const [t1, n1] = this.#samples[this.#samples.length - 1];
    return t1 > t0 ? ((n1 - n0) * 1000) / (t1 - t0) : 0;
  }
}

/**
 * Splits text that arrives in pieces into records ending in LF or CRLF
 * (the terminator is dropped). In CSV mode a line break inside a quoted field
 * does not end the record (RFC 4180 §2.6): quotes are counted, since `""`
 * inside a quoted field toggles twice and so changes nothing.
 */
export class LineSplitter {
  #csv;
  #rest = "";
  /** How far into `#rest` quotes were already counted. */
  #scanned = 0;
  #inQuotes = false;

  /** @param {{ csv?: boolean }} [options] */
  constructor(options = {}) {
    this.#csv = options.csv === true;
  }

  /**
   * @param {string} text The next piece.
   * @returns {string[]} The records it completed.
   */
  push(text) {
    const buf = this.#rest + text;
    /** @type {string[]} */
    const records = [];
    let start = 0;
    let pos = this.#scanned;
    for (;;) {
      const nl = buf.indexOf("\n", pos);
      if (nl === -1) break;
      if (this.#csv) {
        for (let q = buf.indexOf('"', pos); q !== -1 && q < nl; q = buf.indexOf('"', q + 1)) {
          this.#inQuotes = !this.#inQuotes;
        }
      }
      pos = nl + 1;
      if (this.#inQuotes) continue;
      records.push(buf.slice(start, nl > start && buf[nl - 1] === "\r" ? nl - 1 : nl));
      start = pos;
    }
    this.#rest = buf.slice(start);
    this.#scanned = pos - start;
    return records;
  }

  /** @returns {string} What came after the last complete record ("" when nothing). */
  get rest() {
    return this.#rest;
  }
}

/**
 * The fields of one CSV record (RFC 4180), quotes removed.
 *
 * @param {string} record A record without its terminator.
 * @returns {string[]}
 */
export function parseCsvRecord(record) {
  return /** @type {string[]} */ (csvFields(record, false));
}

/**
 * The fields of one CSV record as an export wrote its values: an empty
 * unquoted field is NULL (the empty string is `""`).
 *
 * @param {string} record A record without its terminator.
 * @returns {Array<string | null>}
 */
export function parseCsvValues(record) {
  return csvFields(record, true);
}

/**
 * @param {string} record
 * @param {boolean} nulls An empty unquoted field is null.
 * @returns {Array<string | null>}
 */
function csvFields(record, nulls) {
  /** @type {Array<string | null>} */
  const fields = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (record[i] === '"') {
      i++;
      for (;;) {
        const q = record.indexOf('"', i);
        if (q === -1) {
          field += record.slice(i);
          i = record.length;
          break;
        }
        field += record.slice(i, q);
        i = q + 1;
        if (record[i] !== '"') break;
        field += '"';
        i++;
      }
      const comma = record.indexOf(",", i);
      i = comma === -1 ? record.length : comma;
    } else {
      const comma = record.indexOf(",", i);
      field = record.slice(i, comma === -1 ? record.length : comma);
      i = comma === -1 ? record.length : comma;
      if (field === "" && nulls) {
        fields.push(null);
        if (i >= record.length) return fields;
        i++;
        continue;
      }
    }
    fields.push(field);
    if (i >= record.length) return fields;
    i++; // the comma
  }
}

/**
 * Parses one JSON row. Integers beyond 2^53 keep their exact digits as a
 * string (a key of 9007199254740993 must resume after itself, not after
 * ...992), through the reviver's source text where the engine gives it.
 *
 * @param {string} line
 * @returns {Record<string, unknown>}
 */
export function parseJsonRow(line) {
  /** @type {(key: string, value: unknown, context?: { source?: string }) => unknown} */
  const reviver = (_key, value, context) => {
    const source = context?.source ?? "";
    return typeof value === "number" && !Number.isSafeInteger(value) && /^-?\d+$/.test(source)
      ? source
      : value;
  };
  return JSON.parse(line, /** @type {(key: string, value: unknown) => unknown} */ (reviver));
}

/** @typedef {"ndjson" | "csv" | "json" | "text"} StreamFormat */

/**
 * Counts the rows of an export (or the lines of `/stream-data`) as its text
 * arrives, keeps the first few for a preview and the last complete one for
 * resuming, and notices an NDJSON error record (`{"$error": {...}}`).
 */
export class RowReader {
  /** Complete rows so far (not the CSV header, JSON brackets or error record). */
  rows = 0;
  /** @type {string[]} Column names: the CSV header, or the first object's keys. */
  columns = [];
  /** @type {unknown[][]} The first rows, as values in `columns` order. */
  preview = [];
  /** @type {Record<string, unknown> | undefined} The NDJSON error record's problem. */
  error;
  /** JSON only: whether the closing `]` arrived. */
  closed = false;
  /** The last complete row's text, as sent. */
  lastRecord = "";
  #format;
  #previewRows;
  #splitter;
  #sawHeader = false;

  /**
   * @param {StreamFormat} format
   * @param {{ previewRows?: number }} [options]
   */
  constructor(format, options = {}) {
    this.#format = format;
    this.#previewRows = options.previewRows ?? 10;
    this.#splitter = new LineSplitter({ csv: format === "csv" });
  }

  /** @param {string} text The next decoded piece of the body. */
  push(text) {
    for (const record of this.#splitter.push(text)) this.#take(record);
  }

  /** @returns {string} Text after the last complete row: an unfinished row. */
  get incomplete() {
    return this.#splitter.rest;
  }

  /**
   * The last complete row's value in a column, as text: where to resume.
   *
   * @param {string} column
   * @returns {string | undefined} Undefined when there is no row or no such column.
   */
  lastValue(column) {
    if (this.rows === 0) return undefined;
    if (this.#format === "csv") {
      const i = this.columns.indexOf(column);
      return i === -1 ? undefined : parseCsvRecord(this.lastRecord)[i];
    }
    if (this.#format === "text") return undefined;
    const row = parseJsonRow(this.lastRecord.replace(/,$/, ""));
    return Object.hasOwn(row, column) ? String(row[column]) : undefined;
  }

  /**
   * The last complete row's values in some columns, as sent: null for NULL
   * (an empty unquoted CSV field), numbers as numbers in JSON, a BLOB as its
   * base64 — what a resume token is written from.
   *
   * @param {string[]} columns
   * @returns {unknown[] | undefined} Undefined when there is no row, or a column is not in it.
   */
  lastValues(columns) {
    if (this.rows === 0 || this.#format === "text") return undefined;
    if (this.#format === "csv") {
      const at = columns.map((c) => this.columns.indexOf(c));
      if (at.includes(-1)) return undefined;
      const fields = parseCsvValues(this.lastRecord);
      return at.map((i) => fields[i]);
    }
    const row = parseJsonRow(this.lastRecord.replace(/,$/, ""));
    if (!columns.every((c) => Object.hasOwn(row, c))) return undefined;
    return columns.map((c) => {
      const v = row[c];
      // A BLOB: {"$base64":true,"encoded":"…"} (lib/export/json_value.ts).
      return v !== null && typeof v === "object" ? /** @type {any} */ (v).encoded : v;
    });
  }

  /** @param {string} record */
  #take(record) {
    switch (this.#format) {
      case "text":
        return this.#row(record, () => [record]);
      case "csv":
        if (!this.#sawHeader) {
          this.#sawHeader = true;
          this.columns = parseCsvRecord(record.replace(/^\uFEFF/, ""));
          return;
        }
        return this.#row(record, () => parseCsvRecord(record));
      case "ndjson":
        if (record === "") return;
        if (record.startsWith('{"$error":')) {
          this.error = JSON.parse(record).$error;
          return;
        }
        return this.#row(record, () => this.#values(parseJsonRow(record)));
      case "json":
        // The export writes "[", then one object per line, then "]" (lib/export/row_format.ts).
        if (record === "[" || record === "") return;
        if (record === "]" || record === "[]") {
          this.closed = true;
          return;
        }
        return this.#row(record, () => this.#values(parseJsonRow(record.replace(/,$/, ""))));
    }
  }

  /**
   * @param {string} record
   * @param {() => unknown[]} values Parses the row; only called for the preview.
   */
  #row(record, values) {
    this.rows++;
    this.lastRecord = record;
    if (this.preview.length < this.#previewRows) this.preview.push(values());
  }

  /** @param {Record<string, unknown>} object */
  #values(object) {
    if (this.columns.length === 0) this.columns = Object.keys(object);
    return this.columns.map((c) => object[c]);
  }
}

/**
 * @typedef {object} ExportPlan What one export request asks for.
 * @property {string} table
 * @property {"ndjson" | "csv" | "json"} format
 * @property {string[]} [columns] Omitted: every column.
 * @property {number} [limit] Omitted: every row.
 * @property {string} [after] Omitted: from the first row. The key's value, or with
 *   `order` a resume token ({@linkcode resumeToken}).
 * @property {boolean} [safe] CSV cells that would run as formulas get a `'` (`?safe=1`).
 * @property {ExportFilter[]} [filters] ANDed; omitted or empty: every row.
 * @property {OrderTerm[]} [order] Omitted or empty: by the key.
 */

/**
 * The URL of an export, as routes/export.ts reads it.
 *
 * @param {ExportPlan} plan
 * @returns {string} Such as `/export/items.csv?columns=id,value&price=gt.10&order=price.desc&limit=10`.
 */
export function exportUrl(plan) {
  const query = [];
  if (plan.columns !== undefined) {
    query.push(`columns=${plan.columns.map(encodeURIComponent).join(",")}`);
  }
  const filters = filterQuery(plan.filters ?? []);
  if (filters !== "") query.push(filters);
  if (plan.order !== undefined && plan.order.length > 0) {
    query.push(`order=${encodeQueryValue(orderValue(plan.order))}`);
  }
  if (plan.limit !== undefined) query.push(`limit=${plan.limit}`);
  if (plan.after !== undefined) query.push(`after=${encodeQueryValue(plan.after)}`);
  if (plan.safe) query.push("safe=1");
  const path = `/export/${encodeURIComponent(plan.table)}.${plan.format}`;
  return query.length === 0 ? path : `${path}?${query.join("&")}`;
}

/**
 * The plan that continues an export after its last complete row: rows after
 * that key, and only the rows still owed when there was a limit.
 *
 * @param {ExportPlan} plan The request that stopped.
 * @param {string} after The key of its last complete row.
 * @param {number} rows The complete rows it delivered.
 * @returns {ExportPlan}
 */
export function resumePlan(plan, after, rows) {
  return {
    ...plan,
    after,
    limit: plan.limit === undefined ? undefined : Math.max(0, plan.limit - rows),
  };
}

/**
 * @typedef {object} ExportFilter One row of the filter builder: `{column}={not.}{op}.{value}`.
 * @property {string} column
 * @property {string} op One of {@linkcode FILTER_OPERATORS}.
 * @property {boolean} [not] Negates it (`not.` before the operator).
 * @property {string} value As typed: for `in`, a comma-separated list (an item in
 *   double quotes may hold commas); for `is`, `null` or `notnull`; for `like`
 *   and `ilike`, a pattern with `*` as the wildcard.
 */

/**
 * @typedef {object} OrderTerm One column of the order picker.
 * @property {string} column
 * @property {"asc" | "desc"} direction
 * @property {"nullsfirst" | "nullslast"} [nulls] Omitted: the database's default.
 */

/** Every operator of the URL language (PostgREST's), in the order the page offers them. */
export const FILTER_OPERATORS = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "in",
  "is",
];

/** What each operator reads as in the builder. */
export const OPERATOR_LABELS = {
  eq: "=",
  neq: "≠",
  gt: ">",
  gte: "≥",
  lt: "<",
  lte: "≤",
  like: "like",
  ilike: "like (any case)",
  in: "in list",
  is: "is",
};

const ORDERED = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "is"];

/**
 * The kind of values a column holds, from what the table index gives: the
 * server's kind (`types` in `/export/`: integer, real, numeric, text, blob,
 * any, other — lib/export/column_kind.ts), or a declared type read by
 * SQLite's affinity rules (§3.1 of its datatype page) plus PostgreSQL's names.
 *
 * @param {string | undefined | null} declared Such as `"integer"`, `"other"`, `"double precision"`.
 * @returns {"integer" | "real" | "text" | "timestamp" | "boolean" | "blob" | "other" | "any"}
 *   `"any"` when the type says nothing (no type given, or SQLite's typeless columns);
 *   `"other"` for values the database compares in its own terms (PostgreSQL
 *   timestamps, dates, numeric, booleans, uuids).
 */
export function typeFamily(declared) {
  const t = (declared ?? "").toLowerCase();
  if (t === "" || t === "any") return "any";
  if (t === "other") return "other";
  if (/^(timestamp|date|time)/.test(t) || t === "timestamptz") return "timestamp";
  if (/^bool/.test(t)) return "boolean";
  if (t.includes("int") || t === "serial" || t === "bigserial") return "integer";
  if (/char|clob|text|uuid|citext/.test(t)) return "text";
  if (t.includes("blob") || t === "bytea") return "blob";
  if (/real|floa|doub|numeric|decimal/.test(t)) return "real";
  return "any";
}

/**
 * The operators that make sense for a column: comparisons for numbers,
 * times and bytes, patterns for text only, `is` (null) for everything.
 *
 * @param {string | undefined | null} declared The column's type, as the index gives it.
 * @returns {string[]} A subset of {@linkcode FILTER_OPERATORS}, in its order.
 */
export function operatorsFor(declared) {
  switch (typeFamily(declared)) {
    case "integer":
    case "real":
    case "timestamp":
    case "other":
    case "blob": // compared as bytes; the value is base64, as exports write BLOBs
      return ORDERED;
    case "boolean":
      return ["eq", "neq", "is"];
    default:
      return FILTER_OPERATORS;
  }
}

/**
 * The items of an `in` list as typed: split at commas, each trimmed; an item
 * in double quotes keeps its commas and spaces (`""` or `\"` inside is a quote).
 *
 * @param {string} text Such as `1, 2, 3` or `"a, b", c`.
 * @returns {string[]}
 */
export function parseListInput(text) {
  /** @type {string[]} */
  const items = [];
  let i = 0;
  while (i <= text.length) {
    while (text[i] === " ") i++;
    let item = "";
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        const c = text[i];
        if (c === "\\" && i + 1 < text.length) {
          item += text[i + 1];
          i += 2;
        } else if (c === '"' && text[i + 1] === '"') {
          item += '"';
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          item += c;
          i++;
        }
      }
      const comma = text.indexOf(",", i);
      i = comma === -1 ? text.length + 1 : comma + 1;
    } else {
      const comma = text.indexOf(",", i);
      const end = comma === -1 ? text.length : comma;
      item = text.slice(i, end).trim();
      i = end + 1;
    }
    items.push(item);
  }
  return text.trim() === "" ? [] : items;
}

/**
 * One item of an `in.(…)` list as PostgREST writes it: in double quotes (with
 * `\"` and `\\`) when it holds a character the list syntax reads, is empty,
 * or is the text `null` (which bare would mean NULL).
 *
 * @param {string} item
 * @returns {string}
 */
export function quoteListItem(item) {
  return item === "" || item === "null" || /[,()"\\]|^\s|\s$/.test(item)
    ? `"${item.replace(/[\\"]/g, "\\$&")}"`
    : item;
}

/**
 * A filter's parameter value, before URL encoding.
 *
 * @param {ExportFilter} filter
 * @returns {string} Such as `gt.10`, `not.in.(1,2)` or `is.null`.
 */
export function filterValue(filter) {
  const not = filter.not ? "not." : "";
  if (filter.op === "in") {
    return `${not}in.(${parseListInput(filter.value).map(quoteListItem).join(",")})`;
  }
  return `${not}${filter.op}.${filter.value}`;
}

/**
 * What is wrong with a filter row before it is sent, or undefined when it
 * can be sent (the server still checks each value against its column's type).
 *
 * @param {ExportFilter} filter
 * @returns {string | undefined}
 */
export function checkFilter(filter) {
  if (!FILTER_OPERATORS.includes(filter.op)) return `Unknown operator ${filter.op}.`;
  if (filter.op === "is") {
    return filter.value === "null" || filter.value === "notnull"
      ? undefined
      : `"is" takes null or notnull.`;
  }
  if (filter.op === "in") {
    return parseListInput(filter.value).length === 0
      ? `Give ${filter.column} at least one value for "in list".`
      : undefined;
  }
  return filter.value === "" && filter.op !== "eq" && filter.op !== "neq"
    ? `Give ${filter.column} a value to compare with.`
    : undefined;
}

/**
 * The `order` parameter's value, before URL encoding (`.asc` is the default
 * and left out, as PostgREST writes it).
 *
 * @param {OrderTerm[]} terms
 * @returns {string} Such as `price.desc,id`.
 */
export function orderValue(terms) {
  return terms
    .map((t) =>
      [t.column, t.direction === "desc" || t.nulls ? t.direction : "", t.nulls ?? ""]
        .filter((part) => part !== "")
        .join(".")
    )
    .join(",");
}

/**
 * A query-string component: percent-encoded as `encodeURIComponent` does
 * (so `&`, `=`, `+`, `#`, `%` and spaces cannot change the query's shape),
 * but with `,` and `:` left readable — both are allowed in a query
 * (RFC 3986 §3.4) and mean the same to `URLSearchParams` either way.
 *
 * @param {string} text
 * @returns {string}
 */
export function encodeQueryValue(text) {
  return encodeURIComponent(text).replace(/%2C/g, ",").replace(/%3A/g, ":");
}

/**
 * The filters as query parameters (`price=gt.10&label=is.null`), names and
 * values percent-encoded: the live export's query and a job's `filters` field.
 *
 * @param {ExportFilter[]} filters
 * @returns {string} "" for none.
 */
export function filterQuery(filters) {
  return filters
    .map((f) => `${encodeURIComponent(f.column)}=${encodeQueryValue(filterValue(f))}`)
    .join("&");
}

/**
 * The columns a resume token names, as the server reads an order: the
 * order's columns up to the key, with the key appended when it is not among
 * them (it makes the position unique).
 *
 * @param {OrderTerm[] | undefined} order
 * @param {string | null | undefined} key The table's integer key.
 * @returns {string[]} Just the key without an order; [] without a key.
 */
export function resumeColumns(order, key) {
  if (key === null || key === undefined) return [];
  const names = (order ?? []).map((t) => t.column);
  const at = names.indexOf(key);
  return at === -1 ? [...names, key] : names.slice(0, at + 1);
}

/**
 * A resume token (`?after=`) from the last complete row's values in
 * {@linkcode resumeColumns}, as lib/export/resume_token.ts reads it: values
 * comma-separated, NULL a bare `null`, text that is empty, `null`, or holds
 * `,` `"` `\` `(` `)` in double quotes with `"` and `\` escaped.
 *
 * @param {unknown[]} values From {@linkcode RowReader.lastValues}.
 * @returns {string} Such as `12.5,"a,b",null,1001`.
 */
export function resumeToken(values) {
  return values.map((value) => {
    if (value === null || value === undefined) return "null";
    const text = String(value);
    if (typeof value !== "string" || (text !== "" && text !== "null" && !/[",\\()]/.test(text))) {
      return text;
    }
    return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  }).join(",");
}
