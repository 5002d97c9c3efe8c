import assert from "node:assert/strict";
import { RowEncoderStream } from "../../../lib/export/row_encoder_stream.ts";

const encode = (format: "ndjson" | "csv" | "json", batches: unknown[][][], bom = false) =>
  Array.fromAsync(
    ReadableStream.from(batches).pipeThrough(new RowEncoderStream(format, ["id", "note"], { bom })),
  );

Deno.test("RowEncoderStream sends the head with the first batch and the tail apart", async () => {
  assert.deepEqual(await encode("json", [[[1n, "a"]], [[2n, null], [3n, "c"]]]), [
    { text: '[\n{"id":1,"note":"a"}', rows: 1, last: [1n, "a"] },
    { text: ',\n{"id":2,"note":null},\n{"id":3,"note":"c"}', rows: 2, last: [3n, "c"] },
    { text: "\n]\n", rows: 0, last: undefined },
  ]);
  assert.deepEqual(await encode("csv", [[[1n, "a,b"]]], true), [
    { text: '\uFEFFid,note\r\n1,"a,b"\r\n', rows: 1, last: [1n, "a,b"] },
  ]);
});

Deno.test("RowEncoderStream of no rows sends the head and tail alone (nothing for NDJSON)", async () => {
  assert.deepEqual(await encode("json", [[]]), [{ text: "[]\n", rows: 0, last: undefined }]);
  assert.deepEqual(await encode("csv", []), [{ text: "id,note\r\n", rows: 0, last: undefined }]);
  assert.deepEqual(await encode("ndjson", [[]]), []);
});

Deno.test("RowEncoderStream sends no tail when the rows fail: a cut JSON array stays invalid", async () => {
  let pulls = 0;
  const failing = new ReadableStream<unknown[][]>({
    pull(controller) {
      if (++pulls === 1) controller.enqueue([[1n, "a"]]);
      else controller.error(new Error("boom"));
    },
  }, { highWaterMark: 0 });
  const reader = failing.pipeThrough(new RowEncoderStream("json", ["id", "note"])).getReader();
  assert.equal((await reader.read()).value?.text, '[\n{"id":1,"note":"a"}');
  await assert.rejects(reader.read(), { message: "boom" });
});
