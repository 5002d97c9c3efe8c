/**
 * `deno task compile` builds a single binary that takes the same flags. The
 * build downloads Deno's runtime (denort), which is unreachable where Sluice is
 * built: then, and only then, the test is skipped, with the reason printed.
 * Any other failed build fails the test.
 */

import assert from "node:assert/strict";

const root = new URL("..", import.meta.url).pathname;
const outDir = await Deno.makeTempDir({ prefix: "sluice-compile-" });
const binary = `${outDir}/sluice`;

/**
 * deno's message when it cannot fetch denort: "error sending request for url
 * (https://dl.deno.land/.../denort-....zip): client error (Connect): dns error: ...".
 */
const RUNTIME_UNREACHABLE =
  /error sending request for url \(https:\/\/dl\.deno\.land\/[^)]*denort[^)]*\):.*(dns error|Connect|timed out|refused|unreachable)/i;

/** Builds the binary: undefined when it worked, else deno's stderr (colours stripped). */
async function build(): Promise<string | undefined> {
  const task = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks.compile as string;
  // The task's own command line, with the output redirected to a temp folder.
  const args = task.replace(/^deno\s+/, "").replace("dist/sluice", binary).split(/\s+/);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  if (code === 0) return undefined;
  // deno colours its output even into a pipe; strip that before quoting it.
  // deno-lint-ignore no-control-regex
  return new TextDecoder().decode(stderr).replace(/\x1b\[[0-9;]*m/g, "");
}

const failure = await build();
const unreachable = failure?.split("\n").find((line) => RUNTIME_UNREACHABLE.test(line))?.trim();
if (unreachable !== undefined) {
  await Deno.remove(outDir, { recursive: true });
  console.warn(`compile_test: skipped, deno compile could not download denort: ${unreachable}`);
}

Deno.test({
  name: "deno task compile builds dist/sluice, which serves a media file with the same flags",
  ignore: unreachable !== undefined,
  async fn() {
    if (failure !== undefined) {
      await Deno.remove(outDir, { recursive: true });
      assert.fail(`deno compile failed:\n${failure}`);
    }
    const child = new Deno.Command(binary, {
      args: ["--port", "0", "--hostname", "127.0.0.1", "--media-dir", `${root}media`],
      cwd: outDir,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      let port: string | undefined;
      for (let i = 0; i < 50 && port === undefined; i++) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += value;
        port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(seen)?.[1];
      }
      assert.ok(port, `no listening line in: ${seen}`);
      const res = await fetch(`http://127.0.0.1:${port}/media/server.log`);
      const expected = await Deno.readFile(`${root}media/server.log`);
      assert.equal(res.status, 200);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), expected);
      reader.releaseLock();
    } finally {
      child.kill("SIGTERM");
      await child.stdout.cancel().catch(() => {});
      await child.status;
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
