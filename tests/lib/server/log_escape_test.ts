import assert from "node:assert/strict";
import { escapeControls, logJson, logText } from "../../../lib/server/log_escape.ts";
import { formatErrorLog } from "../../../lib/server/error_log.ts";

const HOSTILE = 'a\nb\r"c"\x1b[31m\x7f\x85\u2028\u2029\\d';

Deno.test("logText() escapes every control character and quote, and keeps the rest", () => {
  assert.equal(logText(HOSTILE), 'a\\nb\\r\\"c\\"\\u001b[31m\\u007f\\u0085\\u2028\\u2029\\\\d');
  assert.equal(logText("/media/café.mp4"), "/media/café.mp4");
});

Deno.test("escapeControls() escapes control characters only", () => {
  assert.equal(escapeControls(HOSTILE), 'a\\nb\\r"c"\\u001b[31m\\u007f\\u0085\\u2028\\u2029\\d');
});

Deno.test("logJson() is one line that parses back to the same record", () => {
  const line = logJson({ path: HOSTILE, n: 1 });
  assert.ok(![..."\n\r\x1b\x7f\x85\u2028\u2029"].some((c) => line.includes(c)), line);
  assert.deepEqual(JSON.parse(line), { path: HOSTILE, n: 1 });
});

Deno.test("formatErrorLog() writes the stack on one line, or as a JSON field", () => {
  const time = new Date("2026-11-24T21:00:00.000Z");
  const error = new Error('cannot read "x\ny"');
  error.stack = 'Error: cannot read "x\ny"\n    at f (a.ts:1:1)';
  assert.equal(
    formatErrorLog({ time, requestId: "3f2a", error }, "text"),
    '2026-11-24T21:00:00.000Z 3f2a error: Error: cannot read "x\\ny"\\n    at f (a.ts:1:1)',
  );
  assert.equal(
    formatErrorLog({ time, requestId: "3f2a", error }, "json"),
    '{"time":"2026-11-24T21:00:00.000Z","request_id":"3f2a","error":"cannot read \\"x\\ny\\"",' +
      '"stack":"Error: cannot read \\"x\\ny\\"\\n    at f (a.ts:1:1)"}',
  );
  assert.equal(
    formatErrorLog({ time, requestId: "-", error: "a\nb" }, "json"),
    '{"time":"2026-11-24T21:00:00.000Z","request_id":"-","error":"a\\nb"}',
  );
});
