/**
 * Where jobs are kept: a small SQLite database in the data folder. A job's
 * row is written when it is created, at each checkpoint and when its state
 * changes, so a server killed at any moment finds every job, and each running
 * one's last checkpoint, when it starts again.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { JobSpec } from "./job_spec.ts";

/** A job's states; `expired` is a finished job whose result the TTL removed. */
export type JobState = "queued" | "running" | "done" | "failed" | "cancelled" | "expired";

/** Where an interrupted job picks up: its rows, bytes and last key, all on disk. */
export interface JobCheckpoint {
  rows: number;
  bytes: number;
  /** The key of the last row written (a 64-bit integer, as text). */
  after: string;
}

/** A job as stored. */
export interface JobRecord {
  id: string;
  /** Creation order: the queue runs jobs in it. */
  seq: number;
  /** Whose job it is (the client's address, or the token that made it). */
  owner: string;
  spec: JobSpec;
  idempotencyKey: string | null;
  state: JobState;
  rows: number;
  total: number | null;
  bytes: number;
  created: number;
  started: number | null;
  finished: number | null;
  error: string | null;
  checkpoint: JobCheckpoint | null;
  /** The result's size and `sha-256=:…:` digest, once done. */
  size: number | null;
  digest: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  spec TEXT NOT NULL,
  idempotency_key TEXT,
  state TEXT NOT NULL,
  rows INTEGER NOT NULL DEFAULT 0,
  total INTEGER,
  bytes INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  started INTEGER,
  finished INTEGER,
  error TEXT,
  checkpoint TEXT,
  size INTEGER,
  digest TEXT
);
CREATE INDEX IF NOT EXISTS jobs_idempotency ON jobs (owner, idempotency_key);
`;

interface Row {
  id: string;
  seq: number;
  owner: string;
  spec: string;
  idempotency_key: string | null;
  state: JobState;
  rows: number;
  total: number | null;
  bytes: number;
  created: number;
  started: number | null;
  finished: number | null;
  error: string | null;
  checkpoint: string | null;
  size: number | null;
  digest: string | null;
}

/** The fields {@linkcode JobStore.update} may change. */
export type JobChange = Partial<
  Pick<
    JobRecord,
    | "state"
    | "rows"
    | "total"
    | "bytes"
    | "started"
    | "finished"
    | "error"
    | "checkpoint"
    | "size"
    | "digest"
  >
>;

const COLUMNS: Record<keyof JobChange, string> = {
  state: "state",
  rows: "rows",
  total: "total",
  bytes: "bytes",
  started: "started",
  finished: "finished",
  error: "error",
  checkpoint: "checkpoint",
  size: "size",
  digest: "digest",
};

/**
 * The jobs database. Every method is synchronous and small (one statement):
 * node:sqlite blocks the event loop while it runs.
 *
 * @example
 * ```ts
 * using store = new JobStore("data/jobs.db");
 * store.list().length;
 * ```
 */
export class JobStore implements Disposable {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #all: StatementSync;
  readonly #insert: StatementSync;
  readonly #delete: StatementSync;
  readonly #byKey: StatementSync;
  readonly #updates = new Map<string, StatementSync>();

  /**
   * Opens (or creates) the database.
   *
   * @param path Its file.
   */
  constructor(path: string) {
    this.#db = new DatabaseSync(path, { timeout: 5000 });
    try {
      // WAL: a checkpoint is one small append; a kill -9 loses nothing committed.
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" + SCHEMA);
      this.#get = this.#db.prepare("SELECT * FROM jobs WHERE id = ?");
      this.#all = this.#db.prepare("SELECT * FROM jobs ORDER BY seq DESC");
      this.#insert = this.#db.prepare(
        `INSERT INTO jobs (id, seq, owner, spec, idempotency_key, state, created)
         VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM jobs), ?, ?, ?, 'queued', ?)`,
      );
      this.#delete = this.#db.prepare("DELETE FROM jobs WHERE id = ?");
      this.#byKey = this.#db.prepare(
        "SELECT * FROM jobs WHERE owner = ? AND idempotency_key = ? ORDER BY seq DESC LIMIT 1",
      );
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** A new queued job. */
  insert(id: string, owner: string, spec: JobSpec, idempotencyKey: string | null): JobRecord {
    this.#insert.run(id, owner, JSON.stringify(spec), idempotencyKey, Date.now());
    return this.get(id)!;
  }

  get(id: string): JobRecord | undefined {
    const row = this.#get.get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Every job, newest first. */
  list(): JobRecord[] {
    return (this.#all.all() as unknown as Row[]).map(fromRow);
  }

  /** The newest job this owner made with this Idempotency-Key. */
  findByKey(owner: string, key: string): JobRecord | undefined {
    const row = this.#byKey.get(owner, key) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Changes some of a job's fields in one statement. */
  update(id: string, change: JobChange): void {
    const names = (Object.keys(change) as (keyof JobChange)[]).filter((k) => k in COLUMNS).sort();
    if (names.length === 0) return;
    const sql = `UPDATE jobs SET ${names.map((n) => `${COLUMNS[n]} = ?`).join(", ")} WHERE id = ?`;
    let statement = this.#updates.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#updates.set(sql, statement);
    }
    const values = names.map((n) => {
      const value = change[n];
      return n === "checkpoint" ? (value === null ? null : JSON.stringify(value)) : value ?? null;
    });
    statement.run(...(values as (string | number | null)[]), id);
  }

  delete(id: string): void {
    this.#delete.run(id);
  }

  [Symbol.dispose](): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

function fromRow(row: Row): JobRecord {
  return {
    id: row.id,
    seq: Number(row.seq),
    owner: row.owner,
    spec: JSON.parse(row.spec),
    idempotencyKey: row.idempotency_key,
    state: row.state,
    rows: Number(row.rows),
    total: row.total === null ? null : Number(row.total),
    bytes: Number(row.bytes),
    created: Number(row.created),
    started: row.started === null ? null : Number(row.started),
    finished: row.finished === null ? null : Number(row.finished),
    error: row.error,
    checkpoint: row.checkpoint === null ? null : JSON.parse(row.checkpoint),
    size: row.size === null ? null : Number(row.size),
    digest: row.digest,
  };
}
