/**
 * `GET /stream-data?rows=N`: the seed tutorial's generated text, one line per
 * row (`This is data row number {i}`, i from 0), streamed as it is made.
 *
 * @module
 */

import { emptyBody } from "../lib/http/empty_body.ts";
import { HttpError } from "../lib/http/http_error.ts";
import type { Handler, RouteSpec } from "../lib/http/router.ts";
import { streamResponse } from "../lib/streams/stream_response.ts";
import { textLines } from "../lib/streams/text_lines.ts";

/** Options for {@linkcode streamDataHandler}. */
export interface StreamDataOptions {
  /** The largest `rows` accepted (`--max-stream-rows`). */
  maxRows: number;
  /** Rows when `rows` is absent. @default 100000 */
  defaultRows?: number;
}

function* rowLines(rows: number): Generator<string, void, undefined> {
  for (let i = 0; i < rows; i++) yield `This is data row number ${i}`;
}

/**
 * The `/stream-data` route (streaming).
 *
 * @param options The row limits.
 * @returns The routes.
 */
export function streamDataRoutes(options: StreamDataOptions): RouteSpec[] {
  return [{
    name: "stream-data",
    methods: ["GET"],
    pathname: "/stream-data",
    handler: streamDataHandler(options),
    streaming: true,
    // Generated text, no table: a token limited to some tables does not reach it.
    access: { scope: "export" },
  }];
}

/**
 * Builds the `/stream-data` handler.
 *
 * @param options The row limits.
 * @returns The handler: 200 `text/plain` lines, or 400 for a bad `rows`.
 */
export function streamDataHandler(options: StreamDataOptions): Handler {
  return async (req) => {
    const raw = new URL(req.url).searchParams.get("rows");
    const rows = raw === null ? options.defaultRows ?? 100_000 : Number(raw);
    if (raw !== null && (!/^\d+$/.test(raw) || rows > options.maxRows)) {
      throw new HttpError(
        400,
        `"rows" must be an integer from 0 to ${options.maxRows}; got ${JSON.stringify(raw)}`,
      );
    }
    const headers = {
      "content-type": "text/plain; charset=utf-8",
      "x-total-rows": String(rows),
      "access-control-expose-headers": "X-Total-Rows",
    };
    if (req.method === "HEAD") {
      return new Response(emptyBody(), { headers: { ...headers, "cache-control": "no-store" } });
    }
    return await streamResponse(textLines(rowLines(rows)), { headers });
  };
}
