import assert from "node:assert/strict";
import { openDatabase, OpenDatabaseError } from "../../../lib/export/open_database.ts";
import { spawnSluice } from "../../support/sluice_process.ts";

Deno.test("openDatabase() creates the folder and the demo database once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-open-" });
  try {
    const logs: string[] = [];
    const path = `${dir}/nested/data/sluice.db`;
    const db = await openDatabase(path, { demoRows: 25, log: (l) => logs.push(l) });
    assert.deepEqual({ ...db.prepare("SELECT count(*) AS n FROM items").get() }, { n: 25 });
    db.close();
    assert.equal(logs.length, 1);
    assert.match(
      logs[0],
      /^Created the demo database ".*\/nested\/data\/sluice\.db": 25 rows in items, \d+ ms$/,
    );
    const again = await openDatabase(path, { demoRows: 99, log: (l) => logs.push(l) });
    assert.deepEqual({ ...again.prepare("SELECT count(*) AS n FROM items").get() }, { n: 25 });
    // Read-only: the server never writes to it.
    assert.throws(() => again.exec("DELETE FROM items"), { message: /readonly/ });
    again.close();
    assert.equal(logs.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase() says in one line that the file is not a database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-open-" });
  try {
    await Deno.writeTextFile(`${dir}/notes.txt`, "this is not SQLite, just some text".repeat(100));
    await assert.rejects(openDatabase(`${dir}/notes.txt`, { demoRows: 1 }), (error) => {
      assert.ok(error instanceof OpenDatabaseError);
      assert.equal(error.message, `cannot open "${dir}/notes.txt": file is not a database`);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sluice exits with one line naming --db when it may not create the database", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-open-" });
  try {
    // As `deno task start` runs it: writes allowed under ./data only.
    await using proc = spawnSluice(["--port", "0", "--media-dir", dir, "--db", `${dir}/x.db`]);
    assert.equal((await proc.exitWithin(15_000)).code, 2);
    assert.deepEqual(proc.stderr, [
      `sluice: --db: cannot create "${dir}/x.db": no write permission for "${dir}"; ` +
      `grant it with --allow-write=${dir} or use a path inside ./data`,
    ]);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
