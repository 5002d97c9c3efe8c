/**
 * Memory, CPU time and process-tree readings from /proc (Linux only).
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
 * Reads a process's resident set size now (VmRSS) and its peak since it
 * started (VmHWM).
 *
 * @param pid The process.
 * @returns KiB each, undefined when /proc has no such process.
 */
export async function memoryKiB(pid: number): Promise<{ rss?: number; peak?: number }> {
  const status = await readProcFile(`/proc/${pid}/status`) ?? "";
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, "m").exec(status);
    return match === null ? undefined : Number(match[1]);
  };
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/**
 * Reads a process's peak resident set size (VmHWM) since it started.
 *
 * @param pid The process.
 * @returns KiB, or undefined when /proc has no such process.
 */
export async function peakRssKiB(pid: number): Promise<number | undefined> {
  return (await memoryKiB(pid)).peak;
}

/**
 * The SHA-256 of a file, in hex, for checking that servers sent the same bytes.
 *
 * @param path The file.
 * @returns 64 hex digits.
 */
export async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Clock ticks per second in /proc/PID/stat (USER_HZ, 100 on Linux's usual builds). */
const TICKS_PER_SECOND = 100;

/**
 * Reads the CPU time a process has used: user plus system, all its threads.
 *
 * @param pid The process.
 * @returns Seconds, or undefined when /proc has no such process.
 */
export async function cpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await readProcFile(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // "pid (comm) state ppid ...": comm may hold spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
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
