/**
 * Database exports: `GET /export/{table}.{ndjson|csv|json}` (or the format by
 * `?format=` or `Accept` on `/export/{table}`), the table index `GET /export/`,
 * and the seed tutorial's `GET /export-data`.
 *
 * @module
 */

import { attachment } from "../lib/http/content_disposition.ts";
import { type ExportSource, queryOrder } from "../lib/export/export_source.ts";
import { HttpError } from "../lib/http/http_error.ts";
import { emptyBody } from "../lib/http/empty_body.ts";
import { escapeHtml } from "../lib/http/escape_html.ts";
import { listingResponse, listingType } from "../lib/http/html_or_json.ts";
import { preferredType } from "../lib/http/negotiate.ts";
import type { Handler, RouteSpec } from "../lib/http/router.ts";
import { ROW_FORMATS, type RowFormatName } from "../lib/export/row_format.ts";
import { RowEncoderStream } from "../lib/export/row_encoder_stream.ts";
import { type ExportLimits, ExportLimitStream } from "../lib/export/export_limits.ts";
import { exportResponse } from "../lib/export/export_response.ts";
import { parseFlag, parseLimit } from "../lib/export/export_params.ts";
import { parseRowSelection, type RowSelection } from "../lib/export/row_selection.ts";
import { resumeTokenOf } from "../lib/export/resume_token.ts";
import { splitTableName, tableLink } from "../lib/export/table_path.ts";
import { pickColumns, type TableInfo } from "../lib/export/table_schema.ts";

/** Options for the export handlers. */
export interface ExportOptions {
  /** The database: SQLite or PostgreSQL (lib/export_source.ts). */
  source: ExportSource;
  /** Bytes per write. @default 65536 */
  chunkSize?: number;
  /** Caps on one export (0: none). @default no caps */
  limits?: ExportLimits;
  /** CSV cells that would run as spreadsheet formulas get a `'` unless `?safe=0`. @default false */
  csvSafe?: boolean;
  /** Filters and order columns one export may have (`--export-max-filters`). @default 16 */
  maxFilters?: number;
}

/** What one export streams. */
interface ExportPlan {
  table: TableInfo;
  columns: string[];
  format: RowFormatName;
  /** Filters, order and where to resume. */
  selection?: RowSelection;
  limit?: number;
  bom?: boolean;
  safe?: boolean;
  headers: Headers;
}

const FORMAT_BY_TYPE: Record<string, RowFormatName> = {
  "application/x-ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "text/csv": "csv",
  "application/json": "json",
};
const EXPOSED = "X-Total-Rows, Content-Disposition";

/**
 * The export routes: `/export/` (the index; `/export` redirects there),
 * `/export/:name` and `/export-data`, the last two streaming.
 *
 * @param options The database and its limits.
 * @returns The routes.
 */
export function exportRoutes(options: ExportOptions): RouteSpec[] {
  const toIndex = () => new Response(null, { status: 301, headers: { location: "/export/" } });
  // The index names every table: only a token for all of them sees it.
  const all = { scope: "export" };
  return [
    {
      name: "export-data",
      methods: ["GET"],
      pathname: "/export-data",
      handler: exportDataHandler(options),
      streaming: true,
      admitHead: true,
      access: { scope: "export", resource: () => "items" },
    },
    { name: "export", methods: ["GET"], pathname: "/export", handler: toIndex, access: all },
    {
      name: "export",
      methods: ["GET"],
      pathname: "/export/",
      handler: exportIndexHandler(options),
      access: all,
    },
    {
      name: "export",
      methods: ["GET"],
      pathname: "/export/:name",
      handler: exportHandler(options),
      streaming: true,
      admitHead: true,
      // `export:items` reaches the table the handler will export, extension or not.
      access: {
        scope: "export",
        resource: async (_req, params) =>
          (await splitName(options.source, params.name ?? "")).table,
      },
    },
  ];
}

/**
 * Builds the `/export/:name` handler.
 *
 * @param options The database.
 * @returns The handler.
 */
export function exportHandler(options: ExportOptions): Handler {
  return async (req, params) => {
    const url = new URL(req.url);
    const { table: name, format: extension } = await splitName(
      options.source,
      params.name ?? "",
    );
    const format = chooseFormat(req, url, extension);
    const table = await options.source.describeTable(name);
    const columns = pickColumns(table, url.searchParams.get("columns"));
    for (const name of ["order", "after", "limit", "columns"]) {
      if (url.searchParams.getAll(name).length > 1) {
        throw new HttpError(400, `"${name}" may be given once`);
      }
    }
    const selection = parseRowSelection(
      {
        params: url.searchParams,
        order: url.searchParams.get("order"),
        after: url.searchParams.get("after"),
      },
      table,
      { maxFilters: options.maxFilters },
    );
    const headers = new Headers({
      "content-type": ROW_FORMATS[format].contentType,
      "content-disposition": attachment(`${table.name}.${format}`),
      "access-control-expose-headers": EXPOSED,
    });
    if (extension === undefined && url.searchParams.get("format") === null) {
      headers.set("vary", "accept");
    }
    return await exportRows(req, options, {
      table,
      columns,
      format,
      selection,
      limit: parseLimit(url.searchParams.get("limit")),
      bom: format === "csv" && parseFlag("bom", url.searchParams.get("bom")),
      safe: format === "csv" &&
        parseFlag("safe", url.searchParams.get("safe"), options.csvSafe ?? false),
      headers,
    });
  };
}

/**
 * Builds the seed tutorial's `/export-data` handler: `{"id":…,"value":…}` for
 * every row of `items`, as NDJSON.
 *
 * @param options The database.
 * @returns The handler.
 */
export function exportDataHandler(options: ExportOptions): Handler {
  return async (req) => {
    const table = await options.source.describeTable("items");
    return await exportRows(req, options, {
      table,
      columns: pickColumns(table, "id,value"),
      format: "ndjson",
      headers: new Headers({
        "content-type": ROW_FORMATS.ndjson.contentType,
        "access-control-expose-headers": EXPOSED,
      }),
    });
  };
}

/**
 * Builds the `/export/` index: every table and view with its row count (views
 * are not counted: that would run them), as JSON or HTML by `Accept`.
 *
 * @param options The database.
 * @returns The handler.
 */
export function exportIndexHandler(options: ExportOptions): Handler {
  return async (req) => {
    const type = listingType(req, "The table index is");
    const { source } = options;
    const tables = [];
    for (const { name, type } of await source.listTables()) {
      const links = {
        ndjson: tableLink(name, "ndjson"),
        csv: tableLink(name, "csv"),
        json: tableLink(name, "json"),
      };
      let info: TableInfo | undefined;
      let rows: number | null = null;
      try {
        info = await source.describeTable(name);
        if (type === "table") rows = await source.countRows(name);
      } catch (error) {
        // A broken view (its table was dropped) is listed; exporting it fails.
        // A database that went away fails the whole page.
        if (error instanceof HttpError && error.status === 503) throw error;
      }
      tables.push({
        name,
        type,
        rows,
        key: info?.key ?? null,
        columns: info?.columns ?? [],
        // What filters each column takes (lib/export/column_kind.ts), for the page's filter builder.
        types: Object.fromEntries((info?.columnInfo ?? []).map((c) => [c.name, c.kind])),
        links,
      });
    }
    if (type === "application/json") return listingResponse(type, { tables });
    const rows = tables.map((t) =>
      `<tr><td>${escapeHtml(t.name)}</td><td>${t.type}</td><td>${t.rows ?? "—"}</td><td>${
        Object.entries(t.links)
          .map(([f, href]) => `<a href="${escapeHtml(href)}">${f}</a>`)
          .join(" ")
      }</td></tr>`
    );
    const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>Exports</title></head>
<body><h1>Exports</h1>
<table><thead><tr><th>Name</th><th>Type</th><th>Rows</th><th>Download</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody></table></body></html>
`;
    return listingResponse(type, html);
  };
}

/**
 * Streams one export through the chain
 * `rows → RowEncoderStream → ExportLimitStream → exportResponse`; the status
 * is committed only once the first rows were read.
 */
async function exportRows(req: Request, options: ExportOptions, plan: ExportPlan) {
  const { table, columns, format, headers } = plan;
  // Views are not counted: that would run them twice.
  const query = {
    table: table.name,
    columns,
    key: table.key,
    ...plan.selection,
    limit: plan.limit,
  };
  const rows = await options.source.openRows(query, {
    count: table.type === "table",
    rows: req.method !== "HEAD",
  });
  if (rows.total !== undefined) headers.set("x-total-rows", String(rows.total));
  const limits = options.limits ?? { maxRows: 0, maxBytes: 0, maxSeconds: 0 };
  if (limits.maxRows > 0 && rows.total !== undefined && rows.total > limits.maxRows) {
    // Known before the first byte: refuse cleanly instead of failing half-way.
    await rows.batches.cancel();
    throw new HttpError(
      413,
      `This export has ${rows.total} rows, more than the limit of ${limits.maxRows}; ` +
        "export it in pieces with ?limit= and ?after=",
    );
  }
  if (req.method === "HEAD") {
    await rows.batches.cancel();
    headers.set("cache-control", "no-store");
    return new Response(emptyBody(), { headers });
  }
  const text = rows.batches
    .pipeThrough(new RowEncoderStream(format, columns, { bom: plan.bom, safe: plan.safe }))
    .pipeThrough(new ExportLimitStream(limits, { announcedRows: rows.total }));
  return await exportResponse(text, {
    headers,
    chunkSize: options.chunkSize,
    errorRecord: format === "ndjson",
    resumeToken: table.key === undefined
      ? undefined
      : (last) => resumeTokenOf(last, queryOrder(query).length, query.order !== undefined),
  });
}

/** The decoded segment as a table and format (lib/export/table_path.ts). */
async function splitName(
  source: ExportSource,
  raw: string,
): Promise<{ table: string; format?: RowFormatName }> {
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `Cannot decode the table name ${JSON.stringify(raw)}`);
  }
  const names = new Set((await source.listTables()).map((t) => t.name));
  return splitTableName(name, (n) => names.has(n));
}

function chooseFormat(req: Request, url: URL, extension?: RowFormatName): RowFormatName {
  const asked = url.searchParams.get("format");
  if (asked !== null && !Object.hasOwn(ROW_FORMATS, asked)) {
    throw new HttpError(400, `"format" must be ndjson, csv or json; got ${JSON.stringify(asked)}`);
  }
  if (asked !== null && extension !== undefined && asked !== extension) {
    throw new HttpError(400, `"format=${asked}" conflicts with the .${extension} extension`);
  }
  const chosen = extension ?? (asked as RowFormatName | null) ??
    FORMAT_BY_TYPE[preferredType(req, Object.keys(FORMAT_BY_TYPE)) ?? ""];
  if (chosen === undefined) {
    throw new HttpError(
      406,
      "Exports are available as application/x-ndjson, text/csv or application/json",
    );
  }
  return chosen;
}
