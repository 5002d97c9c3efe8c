import assert from "node:assert/strict";
import { textLines } from "../../../lib/streams/text_lines.ts";

Deno.test("textLines() ends each line with LF and batches them", () => {
  const lines = Array.from({ length: 5 }, (_, i) => `line ${i}`);
  assert.deepEqual([...textLines(lines, { batchLines: 2 })], [
    "line 0\nline 1\n",
    "line 2\nline 3\n",
    "line 4\n",
  ]);
  assert.deepEqual([...textLines([])], []);
  assert.deepEqual([...textLines([""])], ["\n"]);
});

Deno.test("textLines() rejects an item holding a line break", () => {
  assert.throws(() => [...textLines(["ok", "bad\r"])], {
    name: "TypeError",
    message: 'Cannot write "bad\\r" as a text line: it holds a line break',
  });
});
