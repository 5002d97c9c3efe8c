/**
 * A name swapped for a FIFO between a lookup and the open-file cache's first
 * read: `openFdSync` must not wait for a writer (a synchronous open that
 * waits holds the whole server). Run in a child process, so a regression
 * fails this test after a bound instead of hanging the test runner.
 */
import assert from "node:assert/strict";

Deno.test("openFdSync() refuses a FIFO at once instead of waiting for a writer", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sluice-fifo-" });
  try {
    await Deno.writeTextFile(`${dir}/clip.bin`, "bytes");
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    assert.equal(made.code, 0);
    const module = import.meta.resolve("../../../lib/files/pread_span_sync.ts");
    const script = `
      import { openFdSync } from ${JSON.stringify(module)};
      const info = Deno.statSync(${JSON.stringify(`${dir}/clip.bin`)});
      try {
        openFdSync(${JSON.stringify(`${dir}/fifo`)}, info);
        console.log("opened");
      } catch (error) {
        console.log(error.name);
      }`;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script],
      stdout: "piped",
      stderr: "piped",
      // Generous for a loaded machine; a blocked open never returns at all.
      signal: AbortSignal.timeout(60_000),
    }).output();
    const out = new TextDecoder().decode(child.stdout).trim();
    assert.equal(out, "FileChangedError", new TextDecoder().decode(child.stderr));
    assert.equal(child.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
