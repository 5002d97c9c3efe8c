/**
 * The one place jobs touch the export machinery: an export's body as bytes,
 * with the rows and resume key of what has been read from it so far. Whatever
 * the export chain looks like inside, jobs only see this.
 *
 * @module
 */

import { type ExportSource, queryOrder, type TableQuery } from "../export/export_source.ts";
import { resumeTokenOf } from "../export/resume_token.ts";
import type { RowFormatName } from "../export/row_format.ts";
import { type EncodedRows, RowEncoderStream } from "../export/row_encoder_stream.ts";

/** What to export, and where a resumed export picks up. */
export interface ExportBodyRequest {
  table: string;
  columns: string[];
  /** The integer key rows are ordered by; without one an export cannot resume. */
  key?: string;
  format: RowFormatName;
  /** Rows whose key is greater than this. */
  after?: bigint;
  /** Filters, order and a resume token's position, as in lib/export/export_source.ts. */
  filter?: TableQuery["filter"];
  order?: TableQuery["order"];
  from?: TableQuery["from"];
  /** At most this many rows. */
  limit?: number;
  /** CSV only: a UTF-8 byte order mark first. */
  bom?: boolean;
  /** CSV only: formula-like cells get a leading `'`. */
  safe?: boolean;
  /** Count the rows first (tables only: a view would be run twice). */
  count?: boolean;
  /** Rows already written by an earlier run: no head, and the text goes on from there. */
  continuesAfter?: number;
}

/** An export's body and how far it got. */
export interface ExportBody {
  /**
   * One chunk per batch of rows. Its high-water mark is 0: a batch is read
   * only when a chunk is asked for, so {@linkcode ExportBody.rows} and
   * {@linkcode ExportBody.resumeKey} describe exactly the chunks read so far.
   * Cancelling it releases the query (its statement or cursor) at once.
   */
  body: ReadableStream<Uint8Array>;
  /** The rows the export will have, when counted. */
  total: number | undefined;
  /** Rows in the chunks read so far (this run only). */
  rows(): number;
  /**
   * The resume token of the last row read so far (lib/export/resume_token.ts:
   * the key's digits without an order), to resume after; undefined without a
   * key or rows.
   */
  resumeToken(): string | undefined;
}

/**
 * Opens an export: the query runs before this resolves, so a bad one fails here.
 *
 * @param source The database.
 * @param request What to export.
 * @returns The body and its progress.
 * @example
 * ```ts
 * const { body } = await openExportBody(source, { table: "items", columns: ["id"], key: "id", format: "csv" });
 * await body.pipeTo((await Deno.create("items.csv")).writable);
 * ```
 */
export async function openExportBody(
  source: ExportSource,
  request: ExportBodyRequest,
): Promise<ExportBody> {
  const query: TableQuery = {
    table: request.table,
    columns: request.columns,
    key: request.key,
    after: request.after,
    limit: request.limit,
    filter: request.filter,
    order: request.order,
    from: request.from,
  };
  const rows = await source.openRows(query, { count: request.count ?? false });
  const terms = queryOrder(query).length;
  // The export chain: source batches → encoder; this end adds bytes and progress.
  const encoded = rows.batches
    .pipeThrough(
      new RowEncoderStream(request.format, request.columns, {
        bom: request.bom,
        safe: request.safe,
        continuesAfter: request.continuesAfter,
      }),
    )
    .getReader();
  let read = 0;
  let last: unknown[] | undefined;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Skips empty pieces (a resumed JSON export with no rows left) so every chunk has bytes.
      for (;;) {
        const next: ReadableStreamReadResult<EncodedRows> = await encoded.read();
        if (next.done) return controller.close();
        read += next.value.rows;
        if (next.value.last !== undefined) last = next.value.last;
        if (next.value.text !== "") return controller.enqueue(encoder.encode(next.value.text));
      }
    },
    async cancel(reason) {
      await encoded.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return {
    body,
    total: rows.total,
    rows: () => read,
    resumeToken() {
      if (request.key === undefined || last === undefined) return undefined;
      const token = resumeTokenOf(last, terms, request.order !== undefined);
      return token === undefined ? undefined : String(token);
    },
  };
}
