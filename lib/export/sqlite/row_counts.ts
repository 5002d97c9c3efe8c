/**
 * Row counts of SQLite tables for `X-Total-Rows` and the index, without
 * holding the event loop: a `count(*)` over a million rows takes 13–40 ms of
 * synchronous node:sqlite, and eight clients looping `HEAD ?after=0` kept
 * /healthz waiting 260 ms and more.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { LoopGuard } from "../../streams/_loop_guard.ts";
import type { TableQuery } from "../export_source.ts";
import { quoteIdent as quote } from "../quote_ident.ts";

/** Options for {@linkcode RowCounts}. */
export interface RowCountsOptions {
  /** Rows between two remembered keys: the most one partial count reads. @default 1000 */
  stride?: number;
  /** The longest a first count runs before it waits for a timer. @default 20 */
  sliceMs?: number;
}

/** What one pass over a table's keys leaves behind. */
interface TableCounts {
  /** Every row. */
  total: number;
  /** Rows whose key is NULL, which `key > ?` never reads. */
  nulls: number;
  /** `marks[i]` is the key of row `(i + 1) × stride` in key order. */
  marks: bigint[];
}

/**
 * Counts what an export reads — a whole table, the rows after a key, at most
 * a limit — valid while `PRAGMA data_version` stays the same (SQLite changes
 * it on this connection whenever another connection commits).
 *
 * The first count of a table walks its key in steps of `stride` rows on a
 * read-only connection of its own, in one read transaction, waiting for a
 * timer between slices, and keeps the key at every step. After that a whole
 * table costs nothing and `?after=` costs one count of at most `stride` rows
 * (from the mark below the key to the key); a limit only caps the result.
 * A table without an integer key (WITHOUT ROWID) is counted in one statement.
 *
 * @example
 * ```ts
 * const counts = new RowCounts(db, "data/sluice.db");
 * await counts.count({ table: "items", key: "id" }); // 1000000 (walks the keys once)
 * await counts.count({ table: "items", key: "id", after: 999_000n }); // 1000
 * ```
 */
export class RowCounts {
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #stride: number;
  readonly #sliceMs: number;
  readonly #tables = new Map<string, Promise<TableCounts>>();
  /** The partial counts' statements on the shared connection, by table, key and bound. */
  readonly #statements = new Map<string, StatementSync>();
  #dataVersion: StatementSync | undefined;
  #version: unknown;
  #closed = false;

  /**
   * @param db The shared connection, for `data_version` and partial counts; it must not write.
   * @param path Its file, which each first count opens again.
   * @param options Step and slice sizes.
   */
  constructor(db: DatabaseSync, path: string, options: RowCountsOptions = {}) {
    this.#db = db;
    this.#path = path;
    this.#stride = options.stride ?? 1000;
    this.#sliceMs = options.sliceMs ?? 20;
  }

  /**
   * The number of rows a query reads.
   *
   * @param query The table, its key (from the schema), and `after` and `limit` if any.
   * @returns The count.
   */
  async count(query: Pick<TableQuery, "table" | "key" | "after" | "limit">): Promise<number> {
    const counts = await this.#counts(query.table, query.key);
    let n = counts.total;
    if (query.after !== undefined && query.key !== undefined) {
      n = counts.total - counts.nulls - this.#upTo(query.table, query.key, query.after, counts);
    }
    return query.limit === undefined ? n : Math.min(n, query.limit);
  }

  /** Stops first counts in progress (they fail) and forgets every count. */
  close(): void {
    this.#closed = true;
    this.#tables.clear();
  }

  #counts(table: string, key: string | undefined): Promise<TableCounts> {
    this.#dataVersion ??= this.#db.prepare("PRAGMA data_version");
    const { data_version: version } = this.#dataVersion.get() as { data_version: unknown };
    if (version !== this.#version) {
      this.#tables.clear();
      this.#statements.clear();
      this.#version = version;
    }
    let counts = this.#tables.get(table);
    if (counts === undefined) {
      const walk = this.#walk(table, key);
      counts = walk;
      this.#tables.set(table, walk);
      // A failed walk is not remembered: the next request tries again.
      walk.catch(() => this.#tables.get(table) === walk && this.#tables.delete(table));
    }
    return counts;
  }

  /** Rows whose key is at most `after`: whole strides from the marks, then at most one stride. */
  #upTo(table: string, key: string, after: bigint, { marks }: TableCounts): number {
    let lo = 0;
    let hi = marks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    const bounded = lo > 0;
    const id = `${bounded}\0${table}\0${key}`;
    let statement = this.#statements.get(id);
    if (statement === undefined) {
      const from = bounded ? `${quote(key)} > ? AND ` : "";
      statement = this.#db.prepare(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${quote(table)} WHERE ${from}${
          quote(key)
        } <= ? LIMIT ?)`,
      );
      this.#statements.set(id, statement);
    }
    const args = bounded ? [marks[lo - 1], after, this.#stride] : [after, this.#stride];
    const { n } = statement.get(...args) as { n: number };
    return lo * this.#stride + Number(n);
  }

  async #walk(table: string, key: string | undefined): Promise<TableCounts> {
    const db = new DatabaseSync(this.#path, { readOnly: true, timeout: 5000 });
    const guard = new LoopGuard(this.#sliceMs);
    const prepare = (sql: string) => {
      const statement = db.prepare(sql);
      statement.setReadBigInts(true);
      return statement;
    };
    const count = (statement: StatementSync, ...args: (bigint | number)[]) =>
      statement.get(...args) as { n: bigint };
    try {
      // One snapshot for every step.
      db.exec("BEGIN");
      const from = quote(table);
      if (key === undefined) {
        return {
          total: Number(count(prepare(`SELECT count(*) AS n FROM ${from}`)).n),
          nulls: 0,
          marks: [],
        };
      }
      const k = quote(key);
      const nulls = Number(
        count(prepare(`SELECT count(*) AS n FROM ${from} WHERE ${k} IS NULL`)).n,
      );
      // The key `stride` rows on: OFFSET skips rows without reading their columns.
      const step = (where: string) =>
        prepare(`SELECT ${k} AS mark FROM ${from} WHERE ${where} ORDER BY ${k} LIMIT 1 OFFSET ?`);
      const rest = (where: string) => prepare(`SELECT count(*) AS n FROM ${from} WHERE ${where}`);
      const [first, next] = [step(`${k} IS NOT NULL`), step(`${k} > ?`)];
      const skip = this.#stride - 1;
      const markAfter = (last: bigint | undefined) =>
        (last === undefined ? first.get(skip) : next.get(last, skip)) as
          | { mark: bigint }
          | undefined;
      const marks: bigint[] = [];
      for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
        await guard.breathe();
        if (this.#closed) {
          throw new Error(`Counting ${JSON.stringify(table)} stopped: the source closed`);
        }
        const last = marks.at(-1);
        const found = markAfter(last);
        if (found !== undefined) {
          marks.push(found.mark);
          continue;
        }
        // Fewer than `stride` rows are left: count them.
        const left = last === undefined
          ? count(rest(`${k} IS NOT NULL`))
          : count(rest(`${k} > ?`), last);
        const total = nulls + marks.length * this.#stride + Number(left.n);
        return { total, nulls, marks };
      }
      throw new Error(`Counting ${JSON.stringify(table)} did not end`);
    } finally {
      guard.dispose();
      db.close();
    }
  }
}
