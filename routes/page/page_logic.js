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
  /** @type {string[]} */
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
 * @property {string} [after] Omitted: from the first row.
 * @property {boolean} [safe] CSV cells that would run as formulas get a `'` (`?safe=1`).
 */

/**
 * The URL of an export, as routes/export.ts reads it.
 *
 * @param {ExportPlan} plan
 * @returns {string} Such as `/export/items.csv?columns=id,value&limit=10`.
 */
export function exportUrl(plan) {
  const query = [];
  if (plan.columns !== undefined) {
    query.push(`columns=${plan.columns.map(encodeURIComponent).join(",")}`);
  }
  if (plan.limit !== undefined) query.push(`limit=${plan.limit}`);
  if (plan.after !== undefined) query.push(`after=${encodeURIComponent(plan.after)}`);
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
