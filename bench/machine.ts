/**
 * Describes the machine a bench ran on, so figures are never read without it.
 *
 * @module
 */

import { readProcFile } from "./rss.ts";
import { runProgram, type Tools } from "./tools.ts";

async function readOr(path: string, fallback = ""): Promise<string> {
  return await readProcFile(path) ?? fallback;
}

async function versionOf(program: string | undefined, args: string[]): Promise<string> {
  if (program === undefined) return "not installed";
  try {
    const out = await runProgram(program, args, 10_000);
    return (out.stdout + out.stderr).split("\n")[0].trim();
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  }
}

/**
 * Reads the 1, 5 and 15 minute load averages: other work on the machine
 * during a run shows up here, and makes its figures noisier.
 *
 * @returns Such as `0.52 0.31 0.20`.
 */
export async function loadAverage(): Promise<string> {
  return (await readOr("/proc/loadavg", "unknown")).split(" ").slice(0, 3).join(" ");
}

/**
 * Reads the CPU model, core count, memory, kernel, load and tool versions.
 *
 * @param tools The programs the bench found.
 * @returns `name: value` lines.
 */
export async function describeMachine(tools: Tools): Promise<string[]> {
  const cpuinfo = await readOr("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency;
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(await readOr("/proc/meminfo"))?.[1] ?? 0);
  const load = await loadAverage();
  return [
    `CPU: ${model}, ${cores} logical cores`,
    `Memory: ${(memKiB / 1024 / 1024).toFixed(1)} GiB; load average at start: ${load}`,
    `Kernel: ${Deno.build.os} ${(await readOr("/proc/sys/kernel/osrelease", "?")).trim()}`,
    `Deno: ${Deno.version.deno} (V8 ${Deno.version.v8}), ${Deno.execPath()}`,
    `nginx: ${await versionOf(tools.nginx, ["-v"])}`,
    `curl: ${await versionOf(tools.curl, ["--version"])}`,
    `wrk: ${await versionOf(tools.wrk, ["-v"])}`,
  ];
}
