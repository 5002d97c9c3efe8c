/**
 * A media file swapped for a FIFO while a small body is still being sent. A
 * body of at most 4 MiB is read synchronously, one chunk per pull, and a pull
 * opens the path again when the open-file cache has let its entry go (here:
 * the cache is off). Opening a FIFO waits for a writer; done synchronously it
 * stopped the whole server. The server runs in its own process, so a hang
 * fails this test instead of hanging the test runner.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { startSluice } from "../support/sluice_process.ts";

Deno.test("a file swapped for a FIFO under a slow download fails that transfer, nothing else", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-fifo-" });
  try {
    await Deno.mkdir(`${dir}/media`);
    const size = 1024 * 1024;
    await Deno.writeFile(`${dir}/media/clip.bin`, new Uint8Array(size).fill(7));
    // The start task may write only ./data: the database is made here, not by Sluice.
    new DatabaseSync(`${dir}/export.db`).close();
    await using sluice = await startSluice([
      "--media-dir",
      `${dir}/media`,
      "--db",
      `${dir}/export.db`,
      "--open-file-cache",
      "0",
      // About 16 s for the body: its later chunks are read after the swap.
      "--rate-limit",
      "64k",
    ]);
    const res = await fetch(`${sluice.origin}/media/clip.bin`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(size));
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);

    await Deno.remove(`${dir}/media/clip.bin`);
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/media/clip.bin`] }).output();
    assert.equal(made.code, 0);

    // The transfer fails short of its Content-Length (bounded: 1 MiB in chunks of at least 1 byte).
    // A hung server sends nothing more: each read waits at most 30 s (the rest
    // of the body takes about 16 s at the rate limit).
    let got = first.value!.length;
    let failed = false;
    let stalled = false;
    for (let i = 0; i < size && !failed && !stalled; i++) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stall = new Promise<"stalled">((resolve) => {
        timer = setTimeout(() => resolve("stalled"), 30_000);
      });
      try {
        const result = await Promise.race([reader.read(), stall]);
        if (result === "stalled") stalled = true;
        else if (result.done) break;
        else got += result.value.length;
      } catch {
        failed = true;
      } finally {
        clearTimeout(timer);
      }
    }
    if (stalled) await reader.cancel().catch(() => {});
    assert.ok(!stalled, "the server stopped sending without failing the transfer");
    assert.ok(failed, "the transfer fails");
    assert.ok(got < size, `${got} bytes of ${size}`);

    // Every other request is still answered (generous: a loaded machine).
    const health = await fetch(`${sluice.origin}/healthz`, { signal: AbortSignal.timeout(20_000) });
    assert.equal(health.status, 200);
    assert.equal((await health.text()).trim().length > 0, true);
    const again = await fetch(`${sluice.origin}/media/clip.bin`, {
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(again.status, 404);
    assert.equal((await again.json()).detail, "No such file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
