/**
 * main.ts run as a process, the way users run it, for tests of what only a
 * process shows: signals, exit codes and its output.
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
  /** Waits (bounded) for a stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Waits for the `Sluice listening on` line and returns the server's origin. */
  origin(): Promise<string>;
  /** The exit status, or a failure when the process does not exit within `ms`. */
  exitWithin(ms: number): Promise<Deno.CommandStatus>;
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
 * Runs `deno run ... main.ts` with these flags from the repository's root.
 *
 * @param args Sluice's flags.
 * @param env Environment variables for it (only these, and NO_COLOR). @default {}
 * @param wrap A command prefix to run it under, such as `ip netns exec NAME`. @default []
 * @returns The process; `await using` kills it if it is still running.
 */
export function spawnSluice(
  args: string[],
  env: Record<string, string> = {},
  wrap: string[] = [],
): SluiceProcess {
  const command = [...wrap, Deno.execPath()];
  const child = new Deno.Command(command[0], {
    args: command.slice(1).concat(
      ["run", "--allow-net", "--allow-read", "--allow-write=./data", "--allow-env", "main.ts"],
      args,
    ),
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
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
  const waitForLine = async (pattern: RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      for (const line of stdout) {
        const match = pattern.exec(line);
        if (match !== null) return match;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`No line matched ${pattern}:\n${stdout.join("\n")}\n${stderr.join("\n")}`);
  };
  return {
    child,
    stdout,
    stderr,
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
        const status = await Promise.race([child.status, timeout]);
        await reading;
        return status;
      } finally {
        clearTimeout(timer);
      }
    },
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      await reading;
    },
  };
}
