import assert from "node:assert/strict";
import { openExportSource } from "../../../lib/export/open_database.ts";
import { openExportBody } from "../../../lib/jobs/export_body.ts";
import type { JobCheckpoint } from "../../../lib/jobs/job_store.ts";
import { type ResumePoint, writeResult } from "../../../lib/jobs/write_result.ts";
import { makeExportDb } from "../../support/export_fixture.ts";

const ROWS = 20_000;

/** Writes `items` as CSV into `dir`, from a resume point, checkpointing after every chunk. */
async function write(
  dir: string,
  source: Awaited<ReturnType<typeof openExportSource>>,
  from: ResumePoint,
) {
  const checkpoints: JobCheckpoint[] = [];
  const result = await writeResult({
    open: (at) =>
      openExportBody(source, {
        table: "items",
        columns: ["id", "note"],
        key: "id",
        format: "csv",
        after: at === undefined ? undefined : BigInt(at.after),
        continuesAfter: at?.rows,
      }),
    partPath: `${dir}/r.part`,
    resultPath: `${dir}/r.csv`,
    gzip: false,
    from,
    onProgress() {},
    onCheckpoint: (c) => checkpoints.push(c),
    reserve() {},
    signal: new AbortController().signal,
    checkpointMs: 0,
  });
  return { result, checkpoints, bytes: await Deno.readFile(`${dir}/r.csv`) };
}

Deno.test("writeResult() resumes from a checkpoint: extra bytes after it are cut, a short file starts over", async () => {
  await using db = await makeExportDb(ROWS, false);
  const source = await openExportSource({
    databaseUrl: "",
    poolSize: 1,
    dbPath: db.path,
    demoRows: 0,
  });
  try {
    const whole = await write(db.dir, source, undefined);
    assert.equal(whole.result.rows, ROWS);
    const middle = whole.checkpoints[Math.floor(whole.checkpoints.length / 2)];
    // A kill after more bytes were written than the checkpoint vouches for: the tail is junk.
    const head = whole.bytes.subarray(0, middle.bytes);
    await Deno.writeFile(
      `${db.dir}/r.part`,
      new Uint8Array([...head, ...new TextEncoder().encode("junk")]),
    );
    const resumed = await write(db.dir, source, middle);
    assert.deepEqual(resumed.bytes, whole.bytes);
    assert.equal(resumed.result.digest, whole.result.digest);
    assert.equal(resumed.result.rows, ROWS);
    // A part file shorter than its checkpoint (lost): the job starts over, same bytes.
    await Deno.writeFile(`${db.dir}/r.part`, head.subarray(0, 10));
    const again = await write(db.dir, source, middle);
    assert.deepEqual(again.bytes, whole.bytes);
    assert.equal(again.result.digest, whole.result.digest);
  } finally {
    await source.close();
  }
});
