import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { resumeTokenOf } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

/**
 * A column without a declared type holds any storage class: the text `123`
 * and the integer 123 are different values that SQLite orders apart (numbers
 * before text). A resume token must keep them apart too.
 */
const ODD = `
CREATE TABLE odd (id INTEGER PRIMARY KEY, u, t TEXT);
INSERT INTO odd VALUES
  (1, '123', '123'), (2, 123, '7'), (3, '007', '1e5'), (4, 1.5, 'x'), (5, 'abc', '-0'),
  (6, NULL, NULL), (7, '123', 'Infinity'), (8, 7, '007'), (9, '1e5', 'a,b'), (10, 'Infinity', '');
`;

Deno.test("resume tokens keep text that reads as a number apart from numbers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-resume-" });
  const path = `${dir}/odd.db`;
  const db = new DatabaseSync(path);
  db.exec(ODD);
  db.close();
  await using server = await startTestServer(["--db", path]);
  const get = async (query: string) => {
    const res = await fetch(`${server.origin}/export/odd.ndjson?${query}`, {
      headers: { "accept-encoding": "identity" },
    });
    const body = await res.text();
    assert.equal(res.status, 200, `${query}: ${body}`);
    return body;
  };
  try {
    for (const order of ["u", "u.desc", "u.nullsfirst", "t", "u,t.desc", "t.desc,u"]) {
      const whole = await get(`order=${order}`);
      const lines = whole.trimEnd().split("\n");
      assert.equal(lines.length, 10, order);
      const columns = [...order.split(",").map((term) => term.split(".")[0]), "id"];
      for (let k = 0; k < lines.length; k++) {
        const after = resumeTokenOf(JSON.parse(lines[k]), columns);
        const rest = await get(`order=${order}&after=${encodeURIComponent(after)}`);
        assert.equal(
          rest,
          lines.slice(k + 1).map((l) => `${l}\n`).join(""),
          `order=${order}&after=${after}`,
        );
      }
    }
    // The integer 123 and the text "123": bare is the number, quoted the text.
    const ids = async (query: string) =>
      (await get(`columns=id&${query}`)).trimEnd().split("\n").map((l) => JSON.parse(l).id);
    assert.deepEqual(await ids("order=u"), [4, 8, 2, 3, 1, 7, 9, 10, 5, 6]);
    assert.deepEqual(await ids("order=u&after=123,2"), [3, 1, 7, 9, 10, 5, 6]);
    assert.deepEqual(await ids("order=u&after=%22123%22,1"), [7, 9, 10, 5, 6]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
