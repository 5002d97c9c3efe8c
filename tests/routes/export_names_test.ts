import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startTestServer } from "../support/server.ts";

/** Names SQLite takes and a URL must carry: empty, line breaks, ones ending like a format. */
const NAMES = [
  "",
  "a\r\nb",
  "\n",
  "tab\tx",
  "a/b",
  ".",
  "..",
  ".csv",
  "x.json",
  "x",
  "%41",
  "q?x#y",
  "sp ace",
  "ünï ☕",
  "<b>&",
  'we"ird',
];

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

Deno.test("every table in the index exports through its links, whatever its name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-names-" });
  try {
    const path = `${dir}/names.db`;
    const db = new DatabaseSync(path);
    try {
      // Each table holds its own name: a link that reaches another table shows.
      for (const name of NAMES) {
        db.exec(`CREATE TABLE ${quote(name)} (id INTEGER PRIMARY KEY, v TEXT)`);
        db.prepare(`INSERT INTO ${quote(name)} VALUES (1, ?)`).run(name);
      }
    } finally {
      db.close();
    }
    await using server = await startTestServer(["--db", path]);
    const index = await fetch(`${server.origin}/export/`, {
      headers: { accept: "application/json" },
    });
    const { tables } = await index.json() as {
      tables: { name: string; rows: number; links: Record<string, string> }[];
    };
    assert.deepEqual(tables.map((t) => t.name).sort(), [...NAMES].sort());
    const html = await (await fetch(`${server.origin}/export/`)).text();
    for (const table of tables) {
      assert.equal(table.rows, 1, JSON.stringify(table.name));
      for (const [format, href] of Object.entries(table.links)) {
        const what = `${JSON.stringify(table.name)} as ${format} (${href})`;
        // The HTML index gives the same link.
        const escaped = href.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
        assert.ok(html.includes(`<a href="${escaped}">${format}</a>`), what);
        const res = await fetch(new URL(href, `${server.origin}/export/`), {
          headers: { "accept-encoding": "identity" },
        });
        const body = await res.text();
        assert.equal(res.status, 200, `${what}: ${body}`);
        assert.equal(res.headers.get("x-total-rows"), "1", what);
        const row = { id: 1, v: table.name };
        const expected = {
          ndjson: JSON.stringify(row) + "\n",
          json: `[\n${JSON.stringify(row)}\n]\n`,
          csv: `id,v\r\n1,${csvText(table.name)}\r\n`,
        }[format];
        assert.equal(body, expected, what);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function csvText(value: string): string {
  if (value === "") return '""';
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
