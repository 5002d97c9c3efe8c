import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parse } from "csv-parse/sync";
import { makeExportDb } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

const IDENTITY = { "accept-encoding": "identity" };

/** Cells a spreadsheet would run, beside numbers and text it would not. */
const FORMULAS = `
CREATE TABLE formulas (id INTEGER PRIMARY KEY, "@name" TEXT, v);
INSERT INTO formulas VALUES
  (1, '=1+2', '-12.5'),
  (2, '+SUM(A1)', -3),
  (3, '-2+3', '@x'),
  (4, char(9) || 'tab', char(13) || 'cr'),
  (5, 'plain', x'f8'),
  (6, '', NULL),
  (7, '=HYPERLINK("http://x","y")', 'a=b');
`;

const PLAIN = 'id,@name,v\r\n1,=1+2,-12.5\r\n2,+SUM(A1),-3\r\n3,-2+3,@x\r\n4,\ttab,"\rcr"\r\n' +
  '5,plain,+A==\r\n6,"",\r\n7,"=HYPERLINK(""http://x"",""y"")",a=b\r\n';
const SAFE = "id,'@name,v\r\n1,'=1+2,-12.5\r\n2,'+SUM(A1),-3\r\n3,'-2+3,'@x\r\n" +
  '4,\'\ttab,"\'\rcr"\r\n5,plain,\'+A==\r\n6,"",\r\n' +
  '7,"\'=HYPERLINK(""http://x"",""y"")",a=b\r\n';

async function formulaServer(args: string[] = []) {
  const db = await makeExportDb(1, false);
  const conn = new DatabaseSync(db.path);
  try {
    conn.exec(FORMULAS);
  } finally {
    conn.close();
  }
  const server = await startTestServer(["--db", db.path, ...args]);
  return {
    get: async (path: string) => {
      const res = await fetch(`${server.origin}${path}`, { headers: IDENTITY });
      // ignoreBOM keeps a byte order mark in the text, where the test can see it.
      const body = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await res.arrayBuffer());
      return { status: res.status, body };
    },
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

Deno.test("GET /export/{table}.csv leaves formula-like cells as they are by default", async () => {
  await using s = await formulaServer();
  assert.deepEqual(await s.get("/export/formulas.csv"), { status: 200, body: PLAIN });
  assert.deepEqual(await s.get("/export/formulas.csv?safe=0"), { status: 200, body: PLAIN });
});

Deno.test("GET /export/{table}.csv?safe=1 prefixes formula cells and names with '", async () => {
  await using s = await formulaServer();
  const { status, body } = await s.get("/export/formulas.csv?safe=1");
  assert.equal(status, 200);
  assert.equal(body, SAFE);
  // Every cell reads back as the data, or as the data behind one quote.
  const plain = parse(PLAIN) as string[][];
  const safe = parse(SAFE) as string[][];
  safe.forEach((row, r) =>
    row.forEach((cell, c) => assert.ok(cell === plain[r][c] || cell === `'${plain[r][c]}`))
  );
  // With a BOM, the BOM still comes first.
  const bom = await s.get("/export/formulas.csv?safe=1&bom=1&limit=0");
  assert.equal(bom.body, "\uFEFFid,'@name,v\r\n");
  // Other formats have no formulas: the option changes nothing there.
  const ndjson = await s.get("/export/formulas.ndjson?safe=1&limit=1");
  assert.equal(ndjson.body, '{"id":1,"@name":"=1+2","v":"-12.5"}\n');
});

Deno.test("--csv-safe on makes ?safe=1 the default, and ?safe=0 opts out", async () => {
  await using s = await formulaServer(["--csv-safe", "on"]);
  assert.deepEqual(await s.get("/export/formulas.csv"), { status: 200, body: SAFE });
  assert.deepEqual(await s.get("/export/formulas.csv?safe=0"), { status: 200, body: PLAIN });
});

Deno.test("GET /export/{table}.csv?safe= other than 0 or 1 is 400", async () => {
  await using s = await formulaServer();
  for (const raw of ["yes", "", "2", "true"]) {
    const { status, body } = await s.get(`/export/formulas.csv?safe=${raw}`);
    assert.equal(status, 400);
    assert.equal(JSON.parse(body).detail, `"safe" must be 0 or 1; got ${JSON.stringify(raw)}`);
  }
});
