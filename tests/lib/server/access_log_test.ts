import assert from "node:assert/strict";
import { type AccessEntry, formatAccessLog } from "../../../lib/server/access_log.ts";

const ENTRY: AccessEntry = {
  time: new Date("2026-11-24T21:00:00.000Z"),
  requestId: "3f2a0b1c",
  user: "alice",
  method: "GET",
  path: "/media/a.mp4",
  status: 206,
  bytes: 1048576,
  durationMs: 12.345,
  outcome: "complete",
};

Deno.test("formatAccessLog() writes one text line", () => {
  assert.equal(
    formatAccessLog(ENTRY, "text"),
    "2026-11-24T21:00:00.000Z 3f2a0b1c alice GET /media/a.mp4 206 1048576B 12.3ms complete",
  );
  assert.equal(
    formatAccessLog({ ...ENTRY, outcome: "failed", error: 'disk "gone"' }, "text"),
    '2026-11-24T21:00:00.000Z 3f2a0b1c alice GET /media/a.mp4 206 1048576B 12.3ms failed error="disk \\"gone\\""',
  );
});

Deno.test("formatAccessLog() escapes a path so a line stays one line", () => {
  const line = formatAccessLog({ ...ENTRY, path: '/media/a\nb "c"' }, "text");
  assert.ok(!line.includes("\n"));
  assert.ok(line.includes(' /media/a\\nb \\"c\\" '));
});

Deno.test("formatAccessLog() writes one JSON object", () => {
  assert.deepEqual(JSON.parse(formatAccessLog(ENTRY, "json")), {
    time: "2026-11-24T21:00:00.000Z",
    request_id: "3f2a0b1c",
    user: "alice",
    method: "GET",
    path: "/media/a.mp4",
    status: 206,
    bytes: 1048576,
    duration_ms: 12.3,
    outcome: "complete",
  });
  const aborted = JSON.parse(formatAccessLog({ ...ENTRY, outcome: "aborted" }, "json"));
  assert.equal(aborted.outcome, "aborted");
  assert.equal("error" in aborted, false);
});
