/**
 * Sluice run as `deno task start` runs it — the task's own permissions from
 * deno.json (so a test also proves they suffice) — with extra flags, for
 * tests that need a process: memory readings, kills, balancers.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** A Sluice process started from the start task's command line. */
export interface TaskProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** `http://127.0.0.1:PORT`, once it listens. */
  origin: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILLs it (a crash) and waits for it to exit. */
  kill(): Promise<void>;
}

/** The start task's arguments after `deno`, such as `["run", "--allow-net", …, "main.ts"]`. */
export async function startTaskArgs(): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).tasks;
  return (tasks.start as string).replace(/^deno\s+/, "").split(/\s+/);
}

/**
 * Starts Sluice with the start task's flags plus `args` (after
 * `--hostname 127.0.0.1 --port 0`), and waits for it to listen.
 *
 * @param args Sluice's flags.
 * @param wrapper A command that runs `deno …` (such as `setpriv … --`). @default none
 * @returns The process; `await using` kills it.
 * @throws When it exits or does not listen within 15 s (with its output).
 */
export async function spawnStartTask(args: string[], wrapper: string[] = []): Promise<TaskProcess> {
  const deno = [
    Deno.execPath(),
    ...await startTaskArgs(),
    "--hostname",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ];
  const [command, ...rest] = [...wrapper, ...deno];
  const child = new Deno.Command(command, {
    args: rest,
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const reading = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const kill = async () => {
    if (!exited) child.kill("SIGKILL");
    await status;
    await reading;
  };
  let origin: string | undefined;
  for (let i = 0; i < 300 && origin === undefined && !exited; i++) {
    origin = /Sluice listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(text)?.[1];
    if (origin === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  if (origin === undefined) {
    await kill();
    throw new Error(`Sluice did not start:\n${text}`);
  }
  return { child, origin, output: () => text, kill, [Symbol.asyncDispose]: kill };
}

/**
 * Reads a process's memory from /proc (through `cat`: Deno lets only
 * --allow-all read /proc itself).
 *
 * @param pid The process.
 * @returns Its resident set now (`VmRSS`) and at its peak (`VmHWM`), in bytes.
 */
export async function readMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`] }).output();
  const status = new TextDecoder().decode(out.stdout);
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}
