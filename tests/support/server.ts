/**
 * Starts a real Sluice on 127.0.0.1 and a free port for a test, with its own
 * media folder and a captured access log.
 *
 * @module
 */

import type { Config } from "../../lib/server/config.ts";
import { parseConfig } from "../../lib/server/parse_config.ts";
import { startServer } from "../../main.ts";

/** A Sluice started for one test. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  origin: string;
  /** The access-log and error lines so far. */
  logs: string[];
  /** Waits until a log line matches, for at most `ms` (bodies log when they end). */
  waitForLog(pattern: RegExp, ms?: number): Promise<string>;
  config: Config;
}

/**
 * Starts Sluice with the given flags (on top of `--port 0 --hostname 127.0.0.1`).
 *
 * @param args Extra flags, such as `["--media-dir", dir]`.
 * @returns The server; dispose it with `await using`.
 */
export async function startTestServer(args: string[] = []): Promise<TestServer> {
  // Jobs live in a folder of the test's own unless it names one.
  const dataDir = args.includes("--data-dir")
    ? undefined
    : await Deno.makeTempDir({ prefix: "sluice-data-" });
  const config = parseConfig(
    [
      "--port",
      "0",
      "--hostname",
      "127.0.0.1",
      "--drain-timeout",
      "2",
      ...(dataDir === undefined ? [] : ["--data-dir", dataDir]),
      ...args,
    ],
    () => undefined,
  );
  if (config === "help") throw new Error("unexpected --help");
  const logs: string[] = [];
  const sluice = await startServer(config, { log: (line) => logs.push(line) });
  return {
    origin: `http://127.0.0.1:${sluice.addr.port}`,
    logs,
    config,
    async waitForLog(pattern, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const line = logs.find((l) => pattern.test(l));
        if (line !== undefined) return line;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`No log line matched ${pattern} within ${ms} ms:\n${logs.join("\n")}`);
    },
    async [Symbol.asyncDispose]() {
      await sluice.shutdown();
      // Disposed twice (a test that shut it down itself): the folder is gone already.
      if (dataDir !== undefined) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/**
 * Makes a temporary folder with the given files (path → content) and returns
 * its path; remove it with `Deno.remove(dir, { recursive: true })`.
 */
export async function makeTempTree(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-test-" });
  for (const [path, content] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(full, content);
    else await Deno.writeFile(full, content);
  }
  return dir;
}
