/**
 * A server the bench runs as a subprocess in its own process group: started,
 * waited for, its output drained so it never blocks on a full pipe, and
 * stopped (the whole group) at the end.
 *
 * @module
 */

import { cpuSeconds, peakRssKiB } from "./rss.ts";

/** A running server process. */
export interface ServerProcess {
  /** `sluice`, `baseline` or `nginx`: the column it gets in the table. */
  label: string;
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  origin: string;
  /** The process whose memory and CPU time are measured (for nginx, the worker). */
  measuredPid: number;
  /** How many lines it has written to stdout (for Sluice, its access log). */
  stdoutLines(): number;
  /** Its peak RSS so far, in KiB. */
  peakRssKiB(): Promise<number | undefined>;
  /** The CPU time it has used so far (user + system, all threads), in seconds. */
  cpuSeconds(): Promise<number | undefined>;
  /** Stops the process group: SIGTERM, then SIGKILL after a few seconds. */
  stop(): Promise<void>;
}

/** Options for {@linkcode spawnServer}. */
export interface SpawnServerOptions {
  /** The table column, such as `sluice`. */
  label: string;
  /** The program to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Its working folder. @default the bench's */
  cwd?: string;
  /** Matches the stdout line announcing the port (group 1); for servers that pick one. */
  ready?: RegExp;
  /** The port, for servers told which to use; readiness is then a TCP connect. */
  port?: number;
  /** Finds the process to measure from the started one. @default the started one */
  measuredPid?: (pid: number) => Promise<number>;
  /** More environment variables for it. @default {} */
  env?: Record<string, string>;
  /** How long it may take to get ready. @default 30000 */
  startTimeoutMs?: number;
}

const NEWLINE = 0x0a;

/** Keeps the last lines of a stream, for error messages. */
async function tail(stream: ReadableStream<Uint8Array>, keep: string[]): Promise<void> {
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    keep.push(...chunk.split("\n").filter((l) => l !== ""));
    keep.splice(0, Math.max(0, keep.length - 20));
  }
}

async function waitForConnect(port: number, until: number): Promise<void> {
  for (let attempt = 0; Date.now() < until && attempt < 10_000; attempt++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing accepted connections on 127.0.0.1:${port}`);
}

/**
 * Starts a server and resolves once it accepts requests.
 *
 * @param options What to run and how to tell it is ready.
 * @returns The running server; call `stop()` when done.
 * @throws {Error} With its last stderr lines when it exits or stalls first.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const child = new Deno.Command(options.command, {
    args: options.args,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Its own process group, so stop() reaches any children (nginx's worker).
    detached: true,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...options.env },
  }).spawn();
  const errLines: string[] = [];
  const stderrDone = tail(child.stderr, errLines).catch(() => {});
  let lines = 0;
  const { promise: portFromStdout, resolve: announced } = Promise.withResolvers<number>();
  const stdoutDone = (async () => {
    let pending = options.ready === undefined ? undefined : "";
    for await (const chunk of child.stdout) {
      for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) lines++;
      if (pending === undefined) continue;
      // Decode only until the ready line; after that, counting newlines is enough.
      pending += new TextDecoder().decode(chunk);
      const match = options.ready!.exec(pending);
      if (match !== null) {
        announced(Number(match[1]));
        pending = undefined;
      }
    }
  })().catch(() => {});

  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) {
      try {
        Deno.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      const timer = setTimeout(() => {
        try {
          Deno.kill(-child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }, 5000);
      await status;
      clearTimeout(timer);
    }
    await Promise.all([stdoutDone, stderrDone]);
  };

  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let port: number, measuredPid: number;
  try {
    const ready = options.port === undefined
      ? portFromStdout
      // Settles as a value either way, so a loser of the race below cannot reject unheard.
      : waitForConnect(options.port, Date.now() + timeoutMs).then(
        () => options.port!,
        (error: Error) => error,
      );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      ready,
      status.then((s) => new Error(`exited with code ${s.code} before it was ready`)),
      new Promise<Error>((r) => {
        timer = setTimeout(() => r(new Error(`was not ready after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome instanceof Error) throw outcome;
    port = outcome;
    measuredPid = options.measuredPid === undefined
      ? child.pid
      : await options.measuredPid(child.pid);
  } catch (error) {
    await stop();
    throw new Error(
      `${options.label} (${options.command} ${options.args.join(" ")}) ${
        (error as Error).message
      }\n${errLines.join("\n")}`,
    );
  }
  return {
    label: options.label,
    origin: `http://127.0.0.1:${port}`,
    measuredPid,
    stdoutLines: () => lines,
    peakRssKiB: () => peakRssKiB(measuredPid),
    cpuSeconds: () => cpuSeconds(measuredPid),
    stop,
  };
}
