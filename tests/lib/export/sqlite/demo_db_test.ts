import assert from "node:assert/strict";
import { createDemoDatabase } from "../../../../lib/export/sqlite/demo_db.ts";
import { queryRows } from "../../../support/export_fixture.ts";

Deno.test("createDemoDatabase() fills items with the documented rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-demo-" });
  try {
    createDemoDatabase(`${dir}/demo.db`, 12);
    const rows = queryRows(`${dir}/demo.db`, "SELECT * FROM items ORDER BY id");
    assert.equal(rows.length, 12);
    assert.deepEqual({ ...rows[0] }, {
      id: 1,
      value: "item_1",
      created_at: "2026-01-01T00:01:00Z",
      quantity: 919,
      price: 0.26,
      note: 'comma, "quoted" note 1',
      label: "label-1",
    });
    assert.equal(rows[1].note, "first line\nsecond line 2");
    assert.equal(rows[2].note, "café, 東京 ☕ 🚀 3\r\nend");
    assert.equal(rows[2].label, null);
    assert.equal(rows[3].note, "plain note 4");
    assert.deepEqual({ ...rows[11] }, {
      id: 12,
      value: "item_12",
      created_at: "2026-01-01T00:12:00Z",
      quantity: 28,
      price: 3.01,
      note: "plain note 12",
      label: null,
    });
    // Built under a temporary name, then renamed: nothing else is left.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["demo.db"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// How long it takes is a figure for `deno task bench` (exports section).
Deno.test("createDemoDatabase() makes a million rows", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-demo-" });
  try {
    createDemoDatabase(`${dir}/big.db`, 1_000_000);
    assert.deepEqual(
      queryRows(`${dir}/big.db`, "SELECT count(*) AS n, max(id) AS m FROM items"),
      [
        { n: 1_000_000, m: 1_000_000 },
      ].map((r) => Object.assign(Object.create(null), r)),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createDemoDatabase() leaves nothing behind when it fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-demo-" });
  try {
    createDemoDatabase(`${dir}/taken.db`, 1);
    // Renaming a file onto a folder fails: the half-built file must go.
    await Deno.mkdir(`${dir}/folder.db`);
    assert.throws(() => createDemoDatabase(`${dir}/folder.db`, 5));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "folder.db",
      "taken.db",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
