import assert from "node:assert/strict";
import type { RowReader } from "../../../lib/export/export_source.ts";
import { ExportLimitStream } from "../../../lib/export/export_limits.ts";
import { rowBatches } from "../../../lib/export/row_batches.ts";
import { RowEncoderStream } from "../../../lib/export/row_encoder_stream.ts";

const NO_LIMITS = { maxRows: 0, maxBytes: 0, maxSeconds: 0 };

/** A reader whose second `next()` waits until it is returned, like a FETCH that runs long. */
function stuckReader() {
  const calls: string[] = [];
  let unblock: (() => void) | undefined;
  const reader: RowReader = {
    total: undefined,
    next() {
      calls.push("next");
      if (calls.filter((c) => c === "next").length === 1) {
        return { done: false, value: [[1n, "a"]] };
      }
      return new Promise((resolve) => {
        unblock = () => resolve({ done: true, value: undefined });
      });
    },
    return() {
      calls.push("return");
      unblock?.();
    },
  };
  return { reader, calls };
}

Deno.test("rowBatches() cancel reaches the reader while a read is pending, through the whole chain", async () => {
  const { reader, calls } = stuckReader();
  const text = rowBatches(reader).batches
    .pipeThrough(new RowEncoderStream("ndjson", ["id", "note"]))
    .pipeThrough(new ExportLimitStream(NO_LIMITS));
  const out = text.getReader();
  assert.deepEqual((await out.read()).value, {
    text: '{"id":1,"note":"a"}\n',
    rows: 1,
    last: [1n, "a"],
  });
  const pending = out.read();
  // Let the pipes ask the reader for the next batch, which never comes by itself.
  for (let i = 0; i < 50 && calls.length < 2; i++) await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(calls, ["next", "next"]);
  await out.cancel(new Error("client left"));
  assert.deepEqual(await pending, { done: true, value: undefined });
  for (let i = 0; i < 50 && calls.length < 3; i++) await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(calls, ["next", "next", "return"]);
});

Deno.test("rowBatches() passes a reader's failure on as the stream's error, after its rows", async () => {
  let n = 0;
  const reader: RowReader = {
    total: 2,
    next() {
      if (++n <= 2) return { done: false, value: [[BigInt(n)]] };
      throw new Error("disk I/O error");
    },
    return() {},
  };
  const rows = rowBatches(reader, { sliceMs: 20 });
  assert.equal(rows.total, 2);
  const got: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const batch of rows.batches) got.push(batch);
    })(),
    { message: "disk I/O error" },
  );
  assert.deepEqual(got, [[[1n]], [[2n]]]);
});
