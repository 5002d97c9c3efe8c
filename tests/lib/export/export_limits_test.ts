import assert from "node:assert/strict";
import {
  ExportLimitError,
  ExportLimitStream,
  RowCountError,
} from "../../../lib/export/export_limits.ts";
import type { EncodedRows } from "../../../lib/export/row_encoder_stream.ts";

const piece = (rows: number, text = "x".repeat(rows)): EncodedRows => ({
  text,
  rows,
  last: rows > 0 ? [BigInt(rows)] : undefined,
});

/** Reads a stream to its end or failure: the pieces passed on and the error. */
async function drain(stream: ReadableStream<EncodedRows>) {
  const passed: EncodedRows[] = [];
  try {
    for await (const p of stream) passed.push(p);
    return { passed, error: undefined };
  } catch (error) {
    return { passed, error };
  }
}

Deno.test("ExportLimitStream fails on the piece that passes the row cap, without sending it", async () => {
  const limits = { maxRows: 5, maxBytes: 0, maxSeconds: 0 };
  const { passed, error } = await drain(
    ReadableStream.from([piece(3), piece(2), piece(1)]).pipeThrough(new ExportLimitStream(limits)),
  );
  assert.deepEqual(passed.map((p) => p.rows), [3, 2]);
  assert.ok(error instanceof ExportLimitError);
  assert.equal(error.status, 413);
  assert.equal(error.message, "The export passed the limit of 5 rows");
});

Deno.test("ExportLimitStream counts bytes as UTF-8", async () => {
  const limits = { maxRows: 0, maxBytes: 4, maxSeconds: 0 };
  const { passed, error } = await drain(
    ReadableStream.from([piece(1, "é"), piece(1, "☕")]).pipeThrough(new ExportLimitStream(limits)),
  );
  assert.deepEqual(passed.map((p) => p.text), ["é"]);
  assert.equal((error as Error).message, "The export passed the limit of 4 bytes");
});

Deno.test("ExportLimitStream fails an export that ends with other than the announced rows", async () => {
  const none = { maxRows: 0, maxBytes: 0, maxSeconds: 0 };
  for (const [announced, sent] of [[1502, 1000], [2, 3]]) {
    const { passed, error } = await drain(
      ReadableStream.from([piece(sent)]).pipeThrough(
        new ExportLimitStream(none, { announcedRows: announced }),
      ),
    );
    assert.equal(passed.length, 1);
    assert.ok(error instanceof RowCountError);
    assert.equal(error.status, 500);
    assert.equal(
      error.message,
      `X-Total-Rows announced ${announced} rows, but the export read ${sent} ` +
        "(the rows changed meanwhile, or some were skipped)",
    );
  }
  const exact = await drain(
    ReadableStream.from([piece(2), piece(0)]).pipeThrough(
      new ExportLimitStream(none, { announcedRows: 2 }),
    ),
  );
  assert.deepEqual(exact, { passed: [piece(2), piece(0)], error: undefined });
});
