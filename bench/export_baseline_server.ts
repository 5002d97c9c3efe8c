/**
 * The least a Deno server can do to export a SQLite table, for the bench to
 * compare Sluice's exports with: a pull `ReadableStream` that encodes and
 * enqueues one line per row from one `StatementSync.iterate()` — no
 * batching, no coalescing, no time slices, no error record.
 *
 * Usage: `deno run --allow-net=127.0.0.1 --allow-read bench/export_baseline_server.ts DB`
 * serves `GET /export/items.ndjson` (`JSON.stringify(row)` per row) and
 * `GET /export/items.csv` (fields quoted per RFC 4180), both taking `?limit=`
 * (for warming up), on a free port and
 * prints `Export baseline listening on http://127.0.0.1:PORT/`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

const path = Deno.args[0];
if (path === undefined) {
  console.error("usage: export_baseline_server.ts DB");
  Deno.exit(2);
}
const db = new DatabaseSync(path, { readOnly: true });
const encoder = new TextEncoder();

const csvField = (v: unknown) =>
  v === null
    ? ""
    : typeof v === "string" && /[",\r\n]/.test(v)
    ? `"${v.replaceAll('"', '""')}"`
    : String(v);

function rowStream(limit: number, line: (row: Record<string, unknown>) => string, head = "") {
  const rows = db.prepare("SELECT * FROM items ORDER BY id LIMIT ?").iterate(limit);
  let sentHead = head === "";
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sentHead) {
        sentHead = true;
        controller.enqueue(encoder.encode(head));
        return;
      }
      const next = rows.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(line(next.value as Record<string, unknown>)));
    },
    cancel() {
      rows.return?.();
    },
  });
}

Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen({ port }) {
    console.log(`Export baseline listening on http://127.0.0.1:${port}/`);
  },
}, (req) => {
  const { pathname, searchParams } = new URL(req.url);
  const limit = Number(searchParams.get("limit") ?? -1);
  if (pathname === "/export/items.ndjson") {
    return new Response(rowStream(limit, (row) => JSON.stringify(row) + "\n"), {
      headers: { "content-type": "application/x-ndjson" },
    });
  }
  if (pathname === "/export/items.csv") {
    const columns = db.prepare("SELECT * FROM items LIMIT 0").columns().map((c) => c.name);
    return new Response(
      rowStream(
        limit,
        (row) => Object.values(row).map(csvField).join(",") + "\r\n",
        columns.join(",") + "\r\n",
      ),
      { headers: { "content-type": "text/csv" } },
    );
  }
  return new Response("Not Found", { status: 404 });
});
