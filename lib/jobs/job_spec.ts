/**
 * What a job exports, read from a `POST /jobs` body (JSON or an HTML form) and
 * validated exactly as the live export validates its query string.
 *
 * @module
 */

import type { ExportSource } from "../export/export_source.ts";
import { parseFlag, parseLimit } from "../export/export_params.ts";
import { RESERVED_PARAMS } from "../export/row_filter.ts";
import { parseRowSelection } from "../export/row_selection.ts";
import { ROW_FORMATS, type RowFormatName } from "../export/row_format.ts";
import { pickColumns } from "../export/table_schema.ts";
import { HttpError } from "../http/http_error.ts";

/** A validated job request, as stored; it is also what two requests are compared by. */
export interface JobSpec {
  table: string;
  format: RowFormatName;
  columns: string[];
  /** The table's integer key: with one, a job resumes from checkpoints. */
  key?: string;
  /**
   * Where to start: after this key value (a 64-bit integer, as text), or
   * with `order`, after this resume token.
   */
  after?: string;
  /** Filters, as a query string (`price=gt.10&or=(…)`), checked as a live export's. */
  filters?: string;
  /** The order, as `?order=` takes it. */
  order?: string;
  limit?: number;
  gzip: boolean;
  bom: boolean;
  /** CSV only: formula-like cells get a leading `'` (as `?safe=1`). */
  safe?: boolean;
  /** Whether the table is counted up front (views are not: that would run them twice). */
  count: boolean;
}

/** Options for {@linkcode readJobSpec}. */
export interface ReadJobSpecOptions {
  /** Bodies longer than this get 413. @default 16384 */
  maxBodyBytes?: number;
  /** What an absent `safe` means (`--csv-safe`). @default false */
  csvSafe?: boolean;
  /** Filters and order columns (`--export-max-filters`). @default 16 */
  maxFilters?: number;
}

const FIELDS = [
  "table",
  "format",
  "columns",
  "limit",
  "after",
  "gzip",
  "bom",
  "safe",
  "filters",
  "order",
];
const TYPES = "application/json, application/x-www-form-urlencoded";

/**
 * Reads and validates a job request: 415 for another content type, 413 for a
 * body over the cap, 400 for a malformed body or a bad field (naming the
 * valid ones), 404 for an unknown table (naming the valid ones).
 *
 * @param req The POST.
 * @param source The database the table must be in.
 * @param options The body cap.
 * @returns The spec.
 * @example
 * ```ts
 * const spec = await readJobSpec(new Request("http://x/jobs", {
 *   method: "POST", headers: { "content-type": "application/json" }, body: '{"table":"items"}',
 * }), source);
 * ```
 */
export async function readJobSpec(
  req: Request,
  source: ExportSource,
  options: ReadJobSpecOptions = {},
): Promise<JobSpec> {
  const fields = await readFields(req, options.maxBodyBytes ?? 16384);
  const unknown = Object.keys(fields).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) {
    throw new HttpError(
      400,
      `Unknown field ${JSON.stringify(unknown[0])}; valid fields: ${FIELDS.join(", ")}`,
      { extensions: { valid: FIELDS } },
    );
  }
  if (typeof fields.table !== "string" || fields.table === "") {
    throw new HttpError(400, `"table" must be a table or view name`);
  }
  const format = fields.format ?? "ndjson";
  if (typeof format !== "string" || !Object.hasOwn(ROW_FORMATS, format)) {
    throw new HttpError(400, `"format" must be ndjson, csv or json; got ${JSON.stringify(format)}`);
  }
  const table = await source.describeTable(fields.table);
  const columns = pickColumns(table, columnList(fields.columns));
  const filters = filterParams(fields.filters);
  const order = fields.order === undefined ? null : fields.order;
  if (order !== null && typeof order !== "string") {
    throw new HttpError(400, `"order" must be text such as "price.desc,id"`);
  }
  const afterText = scalar("after", fields.after);
  const selection = parseRowSelection(
    { params: filters, order, after: afterText },
    table,
    { maxFilters: options.maxFilters },
  );
  const after = selection.after !== undefined
    ? String(selection.after)
    : selection.from !== undefined
    ? afterText!
    : undefined;
  const limit = parseLimit(scalar("limit", fields.limit));
  const bom = parseFlag("bom", flag("bom", fields.bom));
  if (bom && format !== "csv") throw new HttpError(400, `"bom" is for CSV only`);
  const safe = format === "csv" &&
    parseFlag("safe", flag("safe", fields.safe), options.csvSafe ?? false);
  return {
    table: table.name,
    format: format as RowFormatName,
    columns,
    ...(table.key === undefined ? {} : { key: table.key }),
    ...(after === undefined ? {} : { after }),
    ...(selection.filter === undefined ? {} : { filters: new URLSearchParams(filters).toString() }),
    ...(order === null ? {} : { order }),
    ...(limit === undefined ? {} : { limit }),
    gzip: parseFlag("gzip", flag("gzip", fields.gzip)),
    bom,
    ...(safe ? { safe } : {}),
    count: table.type === "table",
  };
}

/** The body's fields: a JSON object's members, or a form's (one value per name). */
async function readFields(req: Request, max: number): Promise<Record<string, unknown>> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && type !== "application/x-www-form-urlencoded") {
    throw new HttpError(415, `A job is asked for with ${TYPES}; got ${JSON.stringify(type)}`, {
      headers: { "accept-post": TYPES },
    });
  }
  const text = await readCapped(req, max);
  if (type === "application/x-www-form-urlencoded") {
    const fields: Record<string, unknown> = {};
    for (const [name, value] of new URLSearchParams(text)) {
      if (Object.hasOwn(fields, name)) {
        throw new HttpError(400, `The form has ${JSON.stringify(name)} twice`);
      }
      // An empty form field is an unset one (the page's optional inputs).
      if (value !== "") fields[name] = value;
    }
    return fields;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `The body is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "The body must be a JSON object");
  }
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== null));
}

/** The body as text, refusing (413) one longer than `max` bytes without reading it all. */
async function readCapped(req: Request, max: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `A job request is at most ${max} bytes`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge();
  if (req.body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += chunk.byteLength;
    if (size > max) throw tooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "The body is not valid UTF-8");
  }
}

/**
 * `filters`: a query string (`price=gt.10&label=is.null`) or a JSON object of
 * column → condition (a list for several on one column). Only filters and
 * `or`/`and` groups: the other export parameters are fields of their own.
 */
function filterParams(value: unknown): [string, string][] {
  if (value === undefined) return [];
  let entries: [string, string][];
  if (typeof value === "string") entries = [...new URLSearchParams(value)];
  else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    entries = [];
    for (const [name, v] of Object.entries(value)) {
      const list = Array.isArray(v) ? v : [v];
      if (!list.every((x) => typeof x === "string")) {
        throw new HttpError(400, `"filters" values must be text such as "gt.10"`);
      }
      for (const x of list) entries.push([name, x as string]);
    }
  } else {
    throw new HttpError(400, `"filters" must be a query string or an object of column: condition`);
  }
  const reserved = new Set<string>(RESERVED_PARAMS);
  const misplaced = entries.find(([name]) => reserved.has(name) && name !== "or" && name !== "and");
  if (misplaced !== undefined) {
    throw new HttpError(
      400,
      `"filters" holds ${JSON.stringify(misplaced[0])}, which is a field of its own (or a ` +
        "column to filter inside and=(…))",
    );
  }
  return entries;
}

/** `columns`: a JSON array of names or a comma-separated list; null for every column. */
function columnList(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) {
    return value.join(",");
  }
  throw new HttpError(400, `"columns" must be a list of column names`);
}

/** A number or a string, as the text the live export's parsers take. */
function scalar(name: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new HttpError(400, `"${name}" must be an integer; got ${JSON.stringify(value)}`);
}

/** `true`/`false` (JSON), `1`/`0`, or `on` (a checked checkbox). */
function flag(name: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (value === true || value === "on") return "1";
  if (value === false) return "0";
  if (typeof value === "string" || typeof value === "number") return String(value);
  throw new HttpError(400, `"${name}" must be true or false; got ${JSON.stringify(value)}`);
}
