/**
 * The `postgres` section: the 1M-row demo table exported as NDJSON by Sluice
 * on PostgreSQL (`--database-url`, a throwaway cluster this section starts)
 * beside the same Sluice on SQLite: rows/s, first byte and memory. Skipped
 * when PostgreSQL is not installed.
 *
 * @module
 */

import { createDemoDatabase } from "../lib/export/sqlite/demo_db.ts";
import { createPostgresDemo } from "../lib/export/postgres/postgres_demo.ts";
import { startPgCluster } from "../tests/support/postgres.ts";
import { transfer } from "./export_bench.ts";
import { median } from "./files_bench.ts";
import { memoryKiB as memory, sha256File as sha256 } from "./rss.ts";
import type { BenchContext, Row, Section } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";

const ROWS = 1_000_000;

/**
 * A throwaway PostgreSQL cluster holding the demo table of `rows` rows.
 *
 * @param ctx The bench, for its log.
 * @param section The section asking, for the cluster's name and the log line.
 * @param rows How many rows.
 * @returns The database's URL, or undefined when PostgreSQL is not installed.
 */
export async function seedPostgresDemo(
  ctx: BenchContext,
  section: string,
  rows: number,
): Promise<string | undefined> {
  const cluster = await startPgCluster(`bench ${section}`);
  if (cluster === undefined) return undefined;
  const started = performance.now();
  const url = await cluster.createDatabase();
  const sql = cluster.client(url);
  try {
    await createPostgresDemo(sql, rows);
  } finally {
    await sql.end();
  }
  ctx.log(`${section}: seeded ${rows} rows in ${Math.round(performance.now() - started)} ms`);
  return url;
}

/** PostgreSQL beside SQLite, both behind Sluice. */
export const section: Section = {
  name: "postgres",
  description: "1M-row NDJSON export from PostgreSQL beside SQLite: rows/s, first byte, RSS",
  async run(ctx) {
    const url = await seedPostgresDemo(ctx, "postgres", ROWS);
    if (url === undefined) return [];
    const file = `${ctx.workDir}/export-${ROWS}.db`;
    try {
      await Deno.stat(file);
    } catch {
      createDemoDatabase(file, ROWS);
    }
    const servers: [string, ServerProcess][] = [
      ["sluice", await ctx.startSluice(["--database-url", url, "--log-format", "text"])],
      ["sqlite", await ctx.startSluice(["--db", file, "--log-format", "text"])],
    ];
    const idle = new Map<string, number | undefined>();
    const hashes = new Set<string>();
    for (const [label, server] of servers) {
      await transfer(ctx, `${server.origin}/export/items.ndjson?limit=20000`);
      idle.set(label, (await memory(server.measuredPid)).rss);
      // The same bytes from both (and a warm-up over the whole table).
      const out = `${ctx.workDir}/postgres-check.ndjson`;
      const got = await transfer(ctx, `${server.origin}/export/items.ndjson`, out);
      if (got.status !== 200) throw new Error(`${label} answered ${got.status}`);
      hashes.add(await sha256(out));
      await Deno.remove(out);
    }
    if (hashes.size !== 1) throw new Error("PostgreSQL's and SQLite's exports differ");

    const samples = new Map<string, number[]>();
    const add = (key: string, v: number) => samples.set(key, [...samples.get(key) ?? [], v]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (let i = 0; i < servers.length; i++) {
        const [label, server] = servers[(i + round) % servers.length];
        const got = await transfer(ctx, `${server.origin}/export/items.ndjson`);
        add(`rows/s ${label}`, ROWS / got.total);
        add(`ttfb ${label}`, got.firstByte * 1000);
        ctx.log(`  round ${round + 1} ${label}: ${got.total.toFixed(2)} s`);
      }
    }
    const values = (key: string) =>
      Object.fromEntries(
        servers.map(([label]) => [label, median(samples.get(`${key} ${label}`)!)]),
      );
    const peak: Record<string, number | undefined> = {};
    const growth: Record<string, number | undefined> = {};
    for (const [label, server] of servers) {
      const { peak: hwm } = await memory(server.measuredPid);
      const before = idle.get(label);
      peak[label] = hwm === undefined ? undefined : hwm / 1024;
      growth[label] = hwm === undefined || before === undefined ? undefined : (hwm - before) / 1024;
    }
    const who =
      "sluice = Sluice on PostgreSQL 1M rows (--database-url), sqlite = the same on SQLite";
    const rows: Row[] = [
      {
        name: `PostgreSQL export ${ROWS / 1e6}M rows NDJSON`,
        unit: "rows/s",
        higherIsBetter: true,
        values: values("rows/s"),
        note: `${who}; median of ${ctx.rounds}`,
      },
      {
        name: "PostgreSQL export first byte",
        unit: "ms",
        higherIsBetter: false,
        values: values("ttfb"),
        note: "PostgreSQL counts the table in the export's snapshot; SQLite caches the count",
      },
      {
        name: "PostgreSQL export peak RSS (VmHWM)",
        unit: "MiB",
        higherIsBetter: false,
        values: peak,
      },
      {
        name: "PostgreSQL export RSS growth",
        unit: "MiB",
        higherIsBetter: false,
        values: { ...growth, goal: 64 },
        goals: [{ against: "goal", atLeast: 1 }],
        note: "VmHWM after every export minus VmRSS after a 20000-row warm-up export",
      },
    ];
    return rows;
  },
};
