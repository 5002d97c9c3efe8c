/**
 * PostgreSQL databases for the export tests: the demo `items` table (the same
 * rows as the SQLite demo) plus objects that exercise names, keys and types.
 *
 * @module
 */

import { createPostgresDemo } from "../../lib/export/postgres/postgres_demo.ts";
import { makeExportDb } from "./export_fixture.ts";
import type { PgCluster } from "./postgres.ts";
import { startTestServer } from "./server.ts";

/**
 * - `kinds`: one column per type family (int8 extremes, float4/8 with
 *   ±Infinity and NaN, numeric, boolean, bytea, timestamptz, date, jsonb, an
 *   array, uuid, varchar, char(3)), three rows, the last mostly NULL.
 * - `plain`: no primary key; `pairs`: a two-column key (neither has an
 *   integer key); `odd.csv`: a name that ends like a format; `we"ird`: a
 *   quote in the name; `recent`: a view; `small_key`: an int4 key.
 * - `slow`: a view of 5000 rows in order, those after the first 1000 taking 20 ms each.
 */
const EXTRAS = `
CREATE TABLE kinds (
  id integer PRIMARY KEY, big bigint, small smallint, real4 real, dbl double precision,
  num numeric, flag boolean, bytes bytea, stamp timestamptz, day date, doc jsonb, tags text[],
  uid uuid, note varchar(20), code char(3));
INSERT INTO kinds VALUES
  (1, 9223372036854775807, 32767, 1.5, 'Infinity', 12345678901234567890.50, true, '\\x00ff10',
   '2026-01-01 12:00:00+00', '2026-01-01', '{"a": [1, 2]}', '{a,"b c"}',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'x"y', 'ab'),
  (2, -9223372036854775808, -1, -0.25, '-Infinity', 0.1, false, '', '1999-12-31 23:59:59.5+00',
   '1999-12-31', '[]', '{}', '00000000-0000-0000-0000-000000000000', '', ''),
  (3, NULL, NULL, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, 'null', NULL, NULL, NULL, NULL);
CREATE TABLE plain (name text);
INSERT INTO plain VALUES ('first'), ('second');
CREATE TABLE pairs (a text, b integer, PRIMARY KEY (a, b));
INSERT INTO pairs VALUES ('x', 2), ('x', 1), ('a', 9);
CREATE TABLE "odd.csv" (id integer PRIMARY KEY, x text);
INSERT INTO "odd.csv" VALUES (1, 'odd');
CREATE TABLE "we""ird" (id bigint PRIMARY KEY, "a ""b""" text);
INSERT INTO "we""ird" VALUES (1, 'quoted');
CREATE TABLE small_key (k integer PRIMARY KEY, v text);
INSERT INTO small_key SELECT g, 'v' || g FROM generate_series(1, 5) g;
CREATE VIEW recent AS SELECT id, note FROM items WHERE id > 4990;
CREATE VIEW slow AS
  SELECT g AS id, CASE WHEN g > 1000 THEN 'slow' || pg_sleep(0.02)::text ELSE 'fast' END AS x
  FROM generate_series(1, 5000) AS g;
`;

/**
 * Creates a database holding `rows` demo items (and, unless `extras` is
 * false, the objects above), with its time zone set to UTC.
 *
 * @param cluster The cluster.
 * @param rows Rows in `items`.
 * @param extras Add the extra tables and views. @default true
 * @returns The database's URL.
 */
export async function makePgExportDb(cluster: PgCluster, rows: number, extras = true) {
  const url = await cluster.createDatabase();
  const sql = cluster.client(url);
  try {
    await createPostgresDemo(sql, rows);
    if (extras) await sql.unsafe(EXTRAS);
    const name = new URL(url).pathname.slice(1);
    await sql.unsafe(`ALTER DATABASE ${name} SET timezone = 'UTC'`);
  } finally {
    await sql.end();
  }
  return url;
}

const IDENTITY = { "accept-encoding": "identity" };

/** Sluice on PostgreSQL and Sluice on SQLite, holding the same demo rows. */
export async function sqliteBesidePostgres(cluster: PgCluster, rows: number) {
  const url = await makePgExportDb(cluster, rows);
  const file = await makeExportDb(rows, false);
  const pg = await startTestServer(["--database-url", url, "--db-pool-size", "3"]);
  const lite = await startTestServer(["--db", file.path]);
  const get = (server: typeof pg, path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.origin}${path}`, { headers: { ...IDENTITY, ...headers } });
  return {
    url,
    pg,
    lite,
    getPg: (path: string, headers?: Record<string, string>) => get(pg, path, headers),
    getLite: (path: string, headers?: Record<string, string>) => get(lite, path, headers),
    async [Symbol.asyncDispose]() {
      await pg[Symbol.asyncDispose]();
      await lite[Symbol.asyncDispose]();
      await file[Symbol.asyncDispose]();
    },
  };
}
