import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { makeExportDb, readUntilFailure } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

const IDENTITY = { "accept-encoding": "identity" };

async function limitedServer(flags: string[]) {
  const db = await makeExportDb(5000);
  const server = await startTestServer(["--db", db.path, ...flags]);
  return {
    server,
    get: (path: string) => fetch(`${server.origin}${path}`, { headers: IDENTITY }),
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

Deno.test("--export-max-rows refuses a counted export that is too big with 413, before any byte", async () => {
  await using s = await limitedServer(["--export-max-rows", "100"]);
  const res = await s.get("/export/items.ndjson");
  assert.equal(res.status, 413);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.deepEqual(await res.json(), {
    type: "about:blank",
    title: "Content Too Large",
    status: 413,
    detail: "This export has 5000 rows, more than the limit of 100; " +
      "export it in pieces with ?limit= and ?after=",
  });
  const piece = await s.get("/export/items.ndjson?limit=100&after=200");
  assert.equal(piece.status, 200);
  const lines = (await piece.text()).trimEnd().split("\n").map((l) => JSON.parse(l).id);
  assert.deepEqual(lines, Array.from({ length: 100 }, (_, i) => 201 + i));
});

Deno.test("--export-max-rows fails an uncounted export (a view) honestly, with an NDJSON record", async () => {
  await using s = await limitedServer(["--export-max-rows", "2500"]);
  const res = await s.get("/export/flaky.ndjson");
  assert.equal(res.status, 200);
  const { text, error } = await readUntilFailure(res.body!);
  assert.ok(error, "the transfer must fail, not end cleanly");
  const lines = text.trimEnd().split("\n");
  const record = JSON.parse(lines.at(-1)!);
  const rows = lines.length - 1;
  assert.ok(rows > 0 && rows <= 2500, `rows before the record: ${rows}`);
  assert.deepEqual(record, {
    $error: {
      type: "about:blank",
      status: 413,
      title: "Content Too Large",
      detail: `The export passed the limit of 2500 rows after ${rows} rows.`,
      rows,
    },
  });
  await s.server.waitForLog(/GET \/export\/flaky\.ndjson 200 \d+B [\d.]+ms failed/);
});

Deno.test("--export-max-bytes cuts a CSV export off as a failed transfer, never a clean end", async () => {
  await using s = await limitedServer(["--export-max-bytes", "200k"]);
  const res = await s.get("/export/items.csv");
  assert.equal(res.status, 200);
  const { text, bytes, error } = await readUntilFailure(res.body!);
  assert.ok(error, "the transfer must fail");
  assert.ok(bytes <= 204800, `received ${bytes} bytes`);
  assert.ok(text.startsWith("id,value,created_at,"), text.slice(0, 40));
  const line = await s.server.waitForLog(/GET \/export\/items\.csv 200 \d+B/);
  assert.match(line, /failed error="The export passed the limit of 204800 bytes"$/);
});

Deno.test("--export-max-seconds passed before the first byte is a 413 problem", async () => {
  await using s = await limitedServer(["--export-max-seconds", "0.000001"]);
  const res = await s.get("/export/items.json");
  assert.equal(res.status, 413);
  assert.equal(
    (await res.json()).detail,
    "The export passed the limit of 0.000001 seconds",
  );
  // Filtered and ordered, read in pages or in one pass: the same honest end.
  for (const query of ["note=like.*line*&order=price.desc", "order=quantity&quantity=gt.1"]) {
    const filtered = await s.get(`/export/items.json?${query}`);
    assert.equal(filtered.status, 413, query);
    assert.equal(
      (await filtered.json()).detail,
      "The export passed the limit of 0.000001 seconds",
    );
  }
});

Deno.test("--export-max-bytes counts UTF-8 bytes, not characters", async () => {
  // 1.8 MB of UTF-8 in 600,000 UTF-16 units (three bytes each): a cap of
  // 1 MiB counted in characters would let the whole table through.
  await using db = await makeExportDb(1, false);
  const writer = new DatabaseSync(db.path);
  try {
    writer.exec("CREATE TABLE cjk (id INTEGER PRIMARY KEY, note TEXT); BEGIN");
    const insert = writer.prepare("INSERT INTO cjk (note) VALUES (?)");
    for (let i = 0; i < 6000; i++) insert.run("東京".repeat(50));
    writer.exec("COMMIT");
  } finally {
    writer.close();
  }
  await using server = await startTestServer(["--db", db.path, "--export-max-bytes", "1m"]);
  const res = await fetch(`${server.origin}/export/cjk.csv`, { headers: IDENTITY });
  assert.equal(res.status, 200);
  const { text, bytes, error } = await readUntilFailure(res.body!);
  assert.ok(error, "the transfer must fail");
  // At most the cap, and not cut off long before it (the batch that passed
  // the cap is dropped whole, so up to one batch short).
  assert.ok(bytes <= 1048576 && bytes > 524288, `received ${bytes} bytes`);
  assert.ok(text.startsWith(`id,note\r\n1,${"東京".repeat(50)}\r\n`), text.slice(0, 40));
  const line = await server.waitForLog(/GET \/export\/cjk\.csv 200 \d+B/);
  assert.match(
    line,
    new RegExp(` 200 ${bytes}B .*failed error="The export passed the limit of 1048576 bytes"$`),
  );
});
