/**
 * The programs the bench uses when they are installed: curl and wrk as
 * clients, nginx as a reference server.
 *
 * @module
 */

/** Paths of the programs found; a missing one means its fallback (or no nginx). */
export interface Tools {
  /** curl, for single downloads; else a Deno fetch client. */
  curl?: string;
  /** wrk, for requests/s; else a Deno client with concurrent loops. */
  wrk?: string;
  /** nginx, served beside Sluice when present. */
  nginx?: string;
}

/**
 * Finds an executable by name on PATH and in `extraDirs`.
 *
 * @param name The program, such as `curl`.
 * @param extraDirs Folders to try after PATH.
 * @returns Its path, or undefined.
 */
export async function findProgram(
  name: string,
  extraDirs: string[] = [],
): Promise<string | undefined> {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d !== ""), ...extraDirs];
  for (const dir of dirs) {
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Looks for curl, wrk and nginx (nginx also in the sbin folders, which a
 * plain user's PATH lacks).
 *
 * @param options `denoClients` ignores curl and wrk; `nginx: false` skips nginx.
 * @returns What was found.
 */
export async function findTools(
  options: { denoClients?: boolean; nginx?: boolean } = {},
): Promise<Tools> {
  const sbin = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
  return {
    curl: options.denoClients ? undefined : await findProgram("curl"),
    wrk: options.denoClients ? undefined : await findProgram("wrk"),
    nginx: options.nginx === false ? undefined : await findProgram("nginx", sbin),
  };
}

/**
 * Runs a program to the end and returns what it printed.
 *
 * @param command The program.
 * @param args Its arguments.
 * @param timeoutMs It is killed after this long.
 * @returns Its exit code, stdout and stderr.
 */
export async function runProgram(
  command: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    stdin: "null",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
