import assert from "node:assert/strict";
import { parseByteSize } from "../../../lib/server/byte_size.ts";

Deno.test("parseByteSize() reads plain numbers and k/m/g suffixes as binary units", () => {
  const cases: [string, number][] = [
    ["65536", 65536],
    ["512k", 524288],
    ["512K", 524288],
    ["2m", 2097152],
    ["2MB", 2097152],
    ["2MiB", 2097152],
    ["1.5g", 1610612736],
    [" 100 kb ", 102400],
    ["0", 0],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
});

Deno.test("parseByteSize() rejects what is not a size", () => {
  for (const text of ["", "k", "-1k", "12x", "1e3", "1 2k", "abc"]) {
    assert.throws(() => parseByteSize(text), {
      name: "SyntaxError",
      message: `Cannot parse "${text}" as a byte size`,
    });
  }
});
