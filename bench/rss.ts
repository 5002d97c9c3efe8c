/**
 * Memory and process-tree readings from /proc (Linux only).
 *
 * Deno lets only `--allow-all` read /proc, and the bench keeps its network
 * access to loopback; so it reads /proc through `cat`, which `--allow-run`
 * already allows.
 *
 * @module
 */

import { runProgram } from "./tools.ts";

/**
 * Reads a file under /proc.
 *
 * @param path Such as `/proc/cpuinfo`.
 * @returns Its text, or undefined when it cannot be read (no such process, no /proc).
 */
export async function readProcFile(path: string): Promise<string | undefined> {
  try {
    const out = await runProgram("cat", [path], 10_000);
    return out.code === 0 ? out.stdout : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads a process's peak resident set size (VmHWM) since it started.
 *
 * @param pid The process.
 * @returns KiB, or undefined when /proc has no such process.
 */
export async function peakRssKiB(pid: number): Promise<number | undefined> {
  const status = await readProcFile(`/proc/${pid}/status`);
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status ?? "");
  return match === null ? undefined : Number(match[1]);
}

/**
 * Lists the processes forked by `pid`'s main thread (nginx's workers under its master).
 *
 * @param pid The parent.
 * @returns Their ids.
 */
export async function childPids(pid: number): Promise<number[]> {
  const children = await readProcFile(`/proc/${pid}/task/${pid}/children`);
  return (children ?? "").split(" ").filter((p) => p.trim() !== "").map(Number);
}
