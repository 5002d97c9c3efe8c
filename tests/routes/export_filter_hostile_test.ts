import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { makeExportDb, queryRows } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

/** Names a hostile schema may hold: quotes, SQL, unicode, a reserved word. */
const ODD = `
CREATE TABLE odd (
  "we""ird" TEXT, "x; DROP TABLE items; --" INTEGER, "東京 ☕" TEXT, "é" TEXT, "or" TEXT
);
INSERT INTO odd VALUES ('q"uote', 1, '水', 'e' || char(769), 'a'), ('', 2, NULL, 'é', 'b');
`;

/** Sends a request line of any length over a raw socket; returns the status line. */
async function rawStatus(port: number, target: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const request = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(request)).catch(() => {});
    let text = "";
    const buf = new Uint8Array(4096);
    for (let i = 0; i < 100 && !text.includes("\r\n"); i++) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text.split("\r\n")[0];
  } finally {
    conn.close();
  }
}

Deno.test("hostile filters are 400s or plain answers, never a database error", async (t) => {
  await using db = await makeExportDb(300);
  const writer = new DatabaseSync(db.path);
  try {
    writer.exec(ODD);
  } finally {
    writer.close();
  }
  await using server = await startTestServer(["--db", db.path]);
  const get = (path: string) => fetch(`${server.origin}${path}`);
  const status = async (path: string) => {
    const res = await get(path);
    const body = await res.text();
    return { status: res.status, body };
  };
  const refused = async (path: string, detail: RegExp) => {
    const { status: code, body } = await status(path);
    assert.equal(code, 400, `${path}: ${body}`);
    assert.match(JSON.parse(body).detail, detail, path);
  };
  const ids = async (path: string) => {
    const { status: code, body } = await status(path);
    assert.equal(code, 200, `${path}: ${body}`);
    return body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).id);
  };

  await t.step("SQL in names, operators and values", async () => {
    const items = "/export/items.ndjson?columns=id&";
    await refused(`${items}id%22%20OR%201%3D1%20--=eq.1`, /^Unknown column "id\\" OR 1=1 --"/);
    await refused(`${items}id=eq.1%20OR%201=1`, /"id" is INTEGER/);
    await refused(`${items}id=eq);DROP%20TABLE%20items;--.1`, /operator of eq, neq/);
    await refused(
      `${items}order=id;DELETE%20FROM%20items`,
      /unknown column "id;DELETE FROM items"/,
    );
    await refused(`${items}order=id.desc%20NULLS%20FIRST--`, /unknown column/);
    await refused(`${items}or=(id.eq.1)%20OR%201=1`, /"or" group must be/);
    await refused(`${items}or=(id.eq.1,(SELECT%201).eq.1)`, /Unknown column "\(SELECT 1\)"/);
    await refused(`${items}order=price&after=1)%20OR%20(1=1,1`, /unbalanced "\)"/);
    await refused(`${items}order=price&after=1,1%20OR%201=1`, /"id" is INTEGER/);
    // As values they are only text that no row holds.
    assert.deepEqual(await ids(`${items}note=eq.'%20OR%20'1'='1`), []);
    assert.deepEqual(await ids(`${items}note=like.*'%20OR%201=1%20--*`), []);
    await refused(`${items}note=in.(x'),(1)`, /unbalanced "\)"/);
    assert.deepEqual(await ids(`${items}note=in.(%22x'),(1%22)`), []);
    assert.deepEqual(await ids(`${items}value=eq.item_7%22;--`), []);
    assert.deepEqual(await ids(`${items}value=eq.item_7&limit=5`), [7]);
    assert.equal(
      Number(Object.values(queryRows(db.path, "SELECT count(*) FROM items")[0])[0]),
      300,
    );
  });

  await t.step("odd names: quotes, SQL, unicode, a reserved word", async () => {
    const rows = async (query: string) =>
      (await (await get(`/export/odd.csv?${query}`)).text()).split("\r\n").slice(1, -1);
    assert.deepEqual(await rows("we%22ird=eq.q%22uote"), ['"q""uote",1,水,e\u0301,a']);
    assert.deepEqual(await rows("x%3B%20DROP%20TABLE%20items%3B%20--=gt.1"), ['"",2,,é,b']);
    assert.deepEqual(await rows(`${encodeURIComponent("東京 ☕")}=is.null`), ['"",2,,é,b']);
    // Composed and decomposed é are different text, as SQLite compares them.
    assert.deepEqual(await rows("%C3%A9=eq.%C3%A9"), ['"",2,,é,b']);
    assert.deepEqual(await rows("%C3%A9=eq.e%CC%81"), ['"q""uote",1,水,e\u0301,a']);
    assert.deepEqual(await rows("and=(or.eq.b)"), ['"",2,,é,b']);
    assert.deepEqual(await rows(`order=${encodeURIComponent('"we\\"ird".desc')}`), [
      '"q""uote",1,水,e\u0301,a',
      '"",2,,é,b',
    ]);
    assert.deepEqual(await rows("order=we%22ird"), ['"",2,,é,b', '"q""uote",1,水,e\u0301,a']);
  });

  await t.step("empty, NUL, duplicate and oversized input", async () => {
    const items = "/export/items.ndjson?columns=id&";
    assert.deepEqual(await ids(`${items}note=eq.`), []);
    assert.deepEqual(await ids(`${items}note=like.`), []);
    assert.deepEqual(await ids(`${items}note=eq.%00`), []);
    assert.deepEqual(await ids(`${items}note=like.%00*`), []);
    await refused(`${items}id=eq.`, /"id" is INTEGER/);
    await refused(`${items}id=is.`, /takes null or notnull/);
    await refused(`${items}id=`, /\[not\.\]operator\.value/);
    await refused(`${items}=eq.1`, /Unknown column ""/);
    await refused(`${items}or=()`, /"or" group must be/);
    await refused(`${items}order=,`, /empty column name/);
    await refused(`${items}order=price&after=`, /must hold 2 values/);
    await refused(`${items}after=`, /"after" must be a 64-bit integer/);
    await refused(`${items}limit=1&limit=2`, /"limit" may be given once/);
    await refused(`${items}after=1&after=2`, /"after" may be given once/);
    await refused(`${items}and=(id.gt.1)&and=(id.gt.2)`, /"and" may be given once/);
    await refused(`${items}id=not.not.eq.1`, /operator of eq/);
    await refused(`${items}${"id=gt.1&".repeat(3000)}`, /At most 16 filters/);
    await refused(`${items}id=in.(${"1,".repeat(1000)}1)`, /at most 1000 values/);
    const lists = Array.from({ length: 11 }, () => `id=in.(${"1,".repeat(999)}1)`).join("&");
    const { status: code } = await status(`${items}${lists}`);
    assert.equal(code, 400);
    await refused(`${items}order=price&after=${"1,".repeat(5000)}1`, /must hold 2 values/);
    await refused(`${items}or=(${"(".repeat(5000)}id.eq.1${")".repeat(5000)})`, /Unknown column/);
    await refused(`${items}note=like.${"*".repeat(257)}`, /at most 256 characters/);
    // A long pattern of wildcards is linear in SQLite: no slow match.
    assert.deepEqual(await ids(`${items}note=like.${"*a".repeat(127)}*&limit=1`), []);
    // A value as long as Deno's request line allows is only a value; past that Deno says 400.
    const port = Number(new URL(server.origin).port);
    assert.match(
      await rawStatus(port, `/export/items.ndjson?note=eq.${"x".repeat(50_000)}`),
      /^HTTP\/1\.1 200/,
    );
    assert.match(
      await rawStatus(port, `/export/items.ndjson?note=eq.${"x".repeat(200_000)}`),
      /^HTTP\/1\.1 4\d\d/,
    );
  });

  await t.step("jobs take the same checks", async () => {
    const post = (body: unknown) =>
      fetch(`${server.origin}/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const cases: [unknown, RegExp][] = [
      [{ table: "items", filters: { id: "eq.1 OR 1=1" } }, /"id" is INTEGER/],
      [{ table: "items", filters: { id: ["gt.1", 5] } }, /"filters" values must be text/],
      [{ table: "items", filters: ["id=eq.1"] }, /"filters" must be a query string/],
      [{ table: "items", filters: "order=id" }, /"filters" holds "order"/],
      [{ table: "items", order: ["id"] }, /"order" must be text/],
      [{ table: "items", order: "id;DROP TABLE items" }, /unknown column/],
      [{ table: "items", order: "price", after: "1" }, /must hold 2 values/],
    ];
    for (const [body, detail] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match((await res.json()).detail, detail);
    }
  });

  await t.step("no request above reached SQLite with an error", () => {
    const log = server.logs.join("\n");
    assert.doesNotMatch(log, / 500 /);
    assert.doesNotMatch(log, /error: /);
  });
});
