/**
 * `deno task seed`, run with the task's own command line and permissions,
 * against a throwaway PostgreSQL (skipped, with the reason, without one).
 */

import assert from "node:assert/strict";
import { makeExportDb, queryRows } from "./support/export_fixture.ts";
import { startPgCluster } from "./support/postgres.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const cluster = await startPgCluster("seed_test");

async function seed(args: string[], env: Record<string, string> = {}) {
  const task = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.seed as string;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...task.replace(/^deno\s+/, "").split(/\s+/), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name: "deno task seed creates the SQLite demo's items rows in PostgreSQL, once unless --replace",
  ignore: cluster === undefined,
  async fn() {
    const url = await cluster!.createDatabase();
    const first = await seed(["--database-url", url, "--rows", "1000"]);
    assert.equal(first.stderr, "");
    assert.equal(first.code, 0);
    assert.match(
      first.stdout,
      new RegExp(`^1000 of 1000 rows\nCreated items in ${url}: 1000 rows, [\\d.]+ s\n$`),
    );

    // The same values as node:sqlite reads from the SQLite demo.
    await using file = await makeExportDb(1000, false);
    const expected = queryRows(file.path, "SELECT * FROM items ORDER BY id")
      .map((row) => ({
        ...row,
        id: BigInt(row.id as number),
        quantity: BigInt(row.quantity as number),
      }));
    const sql = cluster!.client(url);
    try {
      const rows = await sql.unsafe("SELECT * FROM items ORDER BY id");
      assert.deepEqual(rows.map((row) => ({ ...row })), expected);
      // The index filters and orders on price use (issue 15), as in the SQLite demo.
      const indexes = await sql.unsafe(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'items' ORDER BY indexname",
      );
      assert.deepEqual(indexes.map((row) => ({ ...row })), [
        {
          indexname: "items_pkey",
          indexdef: "CREATE UNIQUE INDEX items_pkey ON public.items USING btree (id)",
        },
        {
          indexname: "items_price",
          indexdef: "CREATE INDEX items_price ON public.items USING btree (price)",
        },
      ]);

      const again = await seed(["--database-url", url]);
      assert.deepEqual(again, {
        code: 2,
        stdout: "",
        stderr: `seed: ${url}: relation "items" already exists (--replace drops it first)\n`,
      });
      const replaced = await seed(["--replace"], { DATABASE_URL: url, DEMO_ROWS: "3" });
      assert.equal(replaced.code, 0, replaced.stderr);
      const [{ count }] = await sql.unsafe("SELECT count(*) FROM items");
      assert.equal(count, 3n);
    } finally {
      await sql.end();
    }
    assert.deepEqual(await seed([]), {
      code: 2,
      stdout: "",
      stderr: "seed: give --database-url (or DATABASE_URL)\n" +
        "Usage: deno task seed --database-url postgres://user:password@host:port/database " +
        "[--rows N] [--replace]\n",
    });
  },
});
