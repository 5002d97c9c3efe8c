import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { ColumnInfo, SqlValue } from "../../../lib/export/column_kind.ts";
import {
  filterSql,
  keysetSql,
  orderBySql,
  SQLITE_DIALECT,
  type SqlParams,
} from "../../../lib/export/filter_sql.ts";
import { parseRowFilter } from "../../../lib/export/row_filter.ts";
import { type OrderTerm, parseOrder } from "../../../lib/export/row_order.ts";

const COLUMNS: ColumnInfo[] = [
  { name: "id", kind: "integer", type: "INTEGER", notNull: true },
  { name: "a", kind: "integer", type: "INTEGER", notNull: false },
  { name: "b", kind: "text", type: "TEXT", notNull: false },
  { name: "c", kind: "real", type: "REAL", notNull: true },
];
const params = (): SqlParams => ({ values: [], dialect: SQLITE_DIALECT });

Deno.test("filterSql() binds every value and quotes every name", () => {
  const p = params();
  const filter = parseRowFilter(
    new URLSearchParams(
      'a=gt.1&b=not.in.(x,"y,z")&or=(b.like.x*,c.lte.2.5,a.is.null)&b=ilike.50%*',
    ),
    COLUMNS,
  );
  assert.equal(
    filterSql(filter, p),
    `(("a" > ?1) AND NOT ("b" IN (?2,?3)) AND ("b" LIKE ?4 ESCAPE '\\') AND ` +
      `(("b" GLOB ?5) OR ("c" <= ?6) OR ("a" IS NULL)))`,
  );
  assert.deepEqual(p.values, [1n, "x", "y,z", "50\\%%", "x*", 2.5]);
  assert.equal(filterSql(undefined, params()), "");
});

Deno.test("orderBySql() writes NULLS FIRST/LAST only for columns that may hold NULLs", () => {
  const order = parseOrder("a.desc,c,b.nullsfirst", COLUMNS, "id");
  assert.equal(
    orderBySql(order),
    ' ORDER BY "a" DESC NULLS FIRST, "c" ASC, "b" ASC NULLS FIRST, "id" ASC',
  );
});

Deno.test("keysetSql() leads with a bound on the first column when it holds", () => {
  const p = params();
  const order = parseOrder("c.desc", COLUMNS, "id");
  assert.equal(
    keysetSql(order, [9.5, 77n], p),
    '("c" <= ?1 AND ("c" < ?1 OR "c" = ?1 AND ("id" < ?2)))',
  );
  assert.deepEqual(p.values, [9.5, 77n]);
  assert.throws(() => keysetSql(order, [1], params()), TypeError);
});

Deno.test("keysetSql() selects exactly the rows after a position, NULLs and all", () => {
  // Every order of two nullable columns, checked against a sort done in JS.
  using db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL NOT NULL)");
  const insert = db.prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  const as = [null, 1, 2];
  const bs = [null, "x", "y"];
  let id = 0;
  for (const a of as) for (const b of bs) for (const c of [0.5, 1.5]) insert.run(++id, a, b, c);
  const orders: string[] = [];
  for (const x of ["a", "b"]) {
    for (const dir of ["", ".desc"]) {
      for (const nulls of ["", ".nullsfirst", ".nullslast"]) {
        orders.push(`${x}${dir}${nulls},${x === "a" ? "b" : "a"}.desc.nullslast`);
        orders.push(`${x}${dir}${nulls},c`);
      }
    }
  }
  for (const raw of orders) {
    const order: OrderTerm[] = parseOrder(raw, COLUMNS, "id");
    const names = order.map((t) => `"${t.column.name}"`).join(", ");
    const all = db.prepare(`SELECT ${names} FROM t${orderBySql(order)}`).all().map((r) =>
      Object.values(r) as SqlValue[]
    );
    assert.equal(all.length, 18);
    for (let i = 0; i < all.length; i++) {
      const p = params();
      const where = keysetSql(order, all[i], p);
      const after = db.prepare(`SELECT ${names} FROM t WHERE ${where}${orderBySql(order)}`)
        .all(...p.values).map((r) => Object.values(r));
      assert.deepEqual(after, all.slice(i + 1), `${raw} after row ${i}`);
    }
  }
});
