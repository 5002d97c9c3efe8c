/**
 * Starts the servers the bench compares: Sluice as users run it, the minimal
 * Deno server (bench/baseline_server.ts) and, when installed, nginx; each is
 * stopped by the bench's cleanup.
 *
 * @module
 */

import type { Cleanup } from "./cleanup.ts";
import { startNginx } from "./nginx.ts";
import type { FileServers, Row } from "./section.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";
import type { Tools } from "./tools.ts";
import { startTaskArgs, startTaskEnv } from "../tests/support/sluice_process.ts";

/**
 * `deno run` arguments that start Sluice as `deno task start` does (its very
 * command line, read from deno.json as the tests read it), on a free port.
 *
 * @param args Flags after `--port 0`.
 * @returns The arguments for `Deno.execPath()`, run from the repository's root.
 */
export function sluiceArgs(args: string[]): string[] {
  return [...startTaskArgs(), "--port", "0", ...args];
}

/**
 * Starts `deno run ... main.ts --port 0` with more flags, the way users run it
 * (deno.json "start"), and has `cleanup` stop it.
 *
 * @param repoRoot The repository, Sluice's working folder.
 * @param args Flags after `--port 0`.
 * @param cleanup Where its stop goes.
 * @returns The running Sluice.
 */
export async function startSluice(
  repoRoot: string,
  args: string[],
  cleanup: Cleanup,
): Promise<ServerProcess> {
  const server = await spawnServer({
    label: "sluice",
    command: Deno.execPath(),
    args: sluiceArgs(args),
    // The allocator's tunables, as `deno task start` sets them.
    env: startTaskEnv(),
    cwd: repoRoot,
    ready: /Sluice listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  });
  cleanup.add(() => server.stop());
  return server;
}

/**
 * Starts Sluice, the baseline and nginx (when `tools.nginx` is set), all
 * serving `bench/.work/` under `/media/`.
 *
 * @param repoRoot The repository.
 * @param tools Where nginx is, if anywhere.
 * @param cleanup Where their stops go.
 * @returns The running servers.
 */
export async function startFileServers(
  repoRoot: string,
  tools: Tools,
  cleanup: Cleanup,
): Promise<FileServers> {
  const workDir = `${repoRoot}/bench/.work`;
  const sluice = await startSluice(
    repoRoot,
    ["--media-dir", "bench/.work", "--log-format", "text"],
    cleanup,
  );
  const baseline = await spawnServer({
    label: "baseline",
    command: Deno.execPath(),
    args: ["run", "--allow-net=127.0.0.1", "--allow-read", "bench/baseline_server.ts", workDir],
    cwd: repoRoot,
    ready: /Baseline listening on http:\/\/127\.0\.0\.1:(\d+)\//,
  });
  cleanup.add(() => baseline.stop());
  let nginx: ServerProcess | undefined;
  if (tools.nginx !== undefined) {
    const started = await startNginx(tools.nginx, workDir);
    cleanup.add(() => started.stop());
    nginx = started;
  }
  return { sluice, baseline, nginx };
}

/**
 * The file servers' peak RSS over the whole run, and Sluice's log line count.
 *
 * @param servers The servers, still running.
 * @returns One row.
 */
export async function memoryRows(servers: FileServers): Promise<Row[]> {
  const values: Record<string, number | undefined> = {};
  for (const server of [servers.sluice, servers.baseline, servers.nginx]) {
    if (server === undefined) continue;
    const kib = await server.peakRssKiB();
    values[server.label] = kib === undefined ? undefined : kib / 1024;
  }
  const lines = servers.sluice.stdoutLines();
  return [{
    section: "memory",
    name: "peak RSS (VmHWM)",
    unit: "MiB",
    higherIsBetter: false,
    values,
    note: `each server process over the whole run (nginx: its one worker); Sluice logged ${lines}` +
      " stdout lines",
  }];
}
