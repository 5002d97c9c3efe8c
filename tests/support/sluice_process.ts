/**
 * main.ts run as a process, the way `deno task start` runs it (the task's own
 * permissions from deno.json, so every such test also proves they suffice),
 * for what only a process shows: signals, exit codes, its output, its memory,
 * being killed. The one Sluice command line for tests and bench/.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** A spawned Sluice whose output is read line by line in the background. */
export interface SluiceProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Everything it printed so far, stdout then stderr. */
  output(): string;
  /** Waits (bounded, and no longer than the process lives) for a stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Waits for the `Sluice listening on` line and returns the server's origin. */
  origin(): Promise<string>;
  /** The exit status, or a failure when the process does not exit within `ms`. */
  exitWithin(ms: number): Promise<Deno.CommandStatus>;
  /** SIGKILLs it (a crash) unless it has exited, and waits for it and its output. */
  kill(): Promise<void>;
}

/** A Sluice that listens on 127.0.0.1: its origin is known, no longer waited for. */
export interface ListeningSluice extends Omit<SluiceProcess, "origin"> {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
}

/** The start task's words: its leading `NAME=value` settings, then the command. */
function startTaskWords(): { env: Record<string, string>; args: string[] } {
  const tasks = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`)).tasks;
  const words = (tasks.start as string).split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? "")) {
    const [name, ...value] = words.shift()!.split("=");
    env[name] = value.join("=");
  }
  if (words.shift() !== "deno") throw new Error("The start task does not run deno");
  return { env, args: words };
}

/** The start task's arguments after `deno`, such as `["run", "--allow-net", …, "main.ts"]`. */
export function startTaskArgs(): string[] {
  return startTaskWords().args;
}

/** The environment the start task sets before `deno` (the allocator's tunables). */
export function startTaskEnv(): Record<string, string> {
  return startTaskWords().env;
}

function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  return (async () => {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      into.push(...lines);
    }
    if (partial !== "") into.push(partial);
  })();
}

/**
 * Runs the start task's command with these flags from the repository's root.
 *
 * @param args Sluice's flags.
 * @param env Environment variables for it (only these, and NO_COLOR). @default {}
 * @param wrap A command prefix to run it under, such as `ip netns exec NAME` or
 * `setpriv … --`. @default []
 * @returns The process; `await using` kills it if it is still running.
 */
export function spawnSluice(
  args: string[],
  env: Record<string, string> = {},
  wrap: string[] = [],
): SluiceProcess {
  const [command, ...rest] = [...wrap, Deno.execPath(), ...startTaskArgs(), ...args];
  const child = new Deno.Command(command, {
    args: rest,
    cwd: REPO,
    env: { ...startTaskEnv(), NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout: string[] = [];
  const stderr: string[] = [];
  const reading = Promise.all([
    collectLines(child.stdout, stdout),
    collectLines(child.stderr, stderr),
  ]);
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const output = () => [...stdout, ...stderr].join("\n");
  const waitForLine = async (pattern: RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      // Checked before the lines: a process that printed and exited still gets its lines read.
      const gone = exited;
      await (gone ? reading : undefined);
      for (const line of stdout) {
        const match = pattern.exec(line);
        if (match !== null) return match;
      }
      if (gone) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `No line matched ${pattern} (${exited ? "exited" : "timed out"}):\n${output()}`,
    );
  };
  const kill = async () => {
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
    await status;
    await reading;
  };
  return {
    child,
    stdout,
    stderr,
    output,
    waitForLine,
    async origin() {
      const [, origin] = await waitForLine(/^Sluice listening on (https?:\/\/127\.0\.0\.1:\d+)\//);
      return origin;
    },
    async exitWithin(ms) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
      });
      try {
        const result = await Promise.race([status, timeout]);
        await reading;
        return result;
      } finally {
        clearTimeout(timer);
      }
    },
    kill,
    [Symbol.asyncDispose]: kill,
  };
}

/**
 * Starts Sluice on 127.0.0.1 and a free port with `args` added, and waits for
 * it to listen.
 *
 * @param args Sluice's flags.
 * @param wrap A command prefix to run it under, as for {@linkcode spawnSluice}. @default []
 * @returns The process and its origin; `await using` kills it.
 * @throws When it exits or does not listen within 15 s (with its output).
 */
export async function startSluice(args: string[], wrap: string[] = []): Promise<ListeningSluice> {
  const proc = spawnSluice(["--hostname", "127.0.0.1", "--port", "0", ...args], {}, wrap);
  try {
    return Object.assign(proc, { origin: await proc.origin() });
  } catch (error) {
    await proc.kill();
    throw error;
  }
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
