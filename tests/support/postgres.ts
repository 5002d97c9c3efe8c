/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder,
 * started on 127.0.0.1 and a free port with its socket in that folder, and
 * stopped and deleted when the test module ends (its `unload` event, so a
 * `--filter` that skips the last test still cleans up).
 *
 * PostgreSQL refuses to run as root, and CI runs as root: then `initdb`,
 * `pg_ctl` and the server run as the `postgres` user that Debian's package
 * creates, through `runuser` (or `setpriv`), and the folder is given to it.
 *
 * @module
 */

import postgres, { type Sql } from "postgres";
import { checkDatabaseUrl, driverOptions } from "../../lib/export/postgres/postgres_options.ts";

/** A running cluster. */
export interface PgCluster {
  port: number;
  /** The superuser, `sluice`, trusted without a password on loopback. */
  user: string;
  /** `postgres://sluice@127.0.0.1:PORT/DATABASE`. */
  url(database?: string): string;
  /** Creates a database (a new name each call) and returns its URL. */
  createDatabase(): Promise<string>;
  /** A client for a database (end it with `await sql.end()`). */
  client(url: string): Sql<{ bigint: bigint }>;
  /** `pg_ctl stop` with a shutdown mode (`immediate` is a crash, as for a lost server). */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts it again after {@linkcode stop}. */
  start(): Promise<void>;
}

/** Where PostgreSQL's programs are, or why they cannot be used here. */
type Found = { bin: string; runAs: string[]; owner?: { uid: number; gid: number } } | {
  skip: string;
};

/** Finds `initdb` and `pg_ctl` (highest version) and how to run them. */
async function findPostgres(): Promise<Found> {
  const versions: number[] = [];
  try {
    for await (const entry of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(entry.name)) versions.push(Number(entry.name));
    }
  } catch {
    // Not installed.
  }
  let bin: string | undefined;
  for (const version of versions.sort((a, b) => b - a)) {
    const dir = `/usr/lib/postgresql/${version}/bin`;
    if (await isFile(`${dir}/initdb`) && await isFile(`${dir}/pg_ctl`)) {
      bin = dir;
      break;
    }
  }
  if (bin === undefined) {
    return { skip: "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)" };
  }
  // Deno.uid() needs --allow-sys, and /proc/self --allow-all; `id` needs only --allow-run.
  if ((await run(["id", "-u"])).output.trim() !== "0") return { bin, runAs: [] };
  const passwd = await Deno.readTextFile("/etc/passwd");
  const entry = /^postgres:[^:]*:(\d+):(\d+):/m.exec(passwd);
  if (entry === null) return { skip: "running as root, and there is no postgres user to run as" };
  const owner = { uid: Number(entry[1]), gid: Number(entry[2]) };
  for (
    const runAs of [["runuser", "-u", "postgres", "--"], [
      "setpriv",
      `--reuid=${owner.uid}`,
      `--regid=${owner.gid}`,
      "--clear-groups",
    ]]
  ) {
    const probe = await run(runAs.concat([`${bin}/pg_ctl`, "--version"]), false);
    if (probe.ok) return { bin, runAs, owner };
  }
  return { skip: "running as root, and neither runuser nor setpriv can switch to postgres" };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function run(argv: string[], check = true): Promise<{ ok: boolean; output: string }> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (check) throw error;
    return { ok: false, output: String(error) };
  }
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (check && !out.success) throw new Error(`${argv.join(" ")} failed:\n${output}`);
  return { ok: out.success, output };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * Starts a cluster for this test module, or returns undefined after printing
 * why it cannot (so the module registers its tests with `ignore: true`).
 *
 * @param label The test module's name, for the skip message.
 * @returns The cluster, stopped and deleted when the module unloads.
 */
export async function startPgCluster(label: string): Promise<PgCluster | undefined> {
  const found = await findPostgres();
  if ("skip" in found) {
    console.warn(`${label}: skipped, ${found.skip}`);
    return undefined;
  }
  const { bin, runAs, owner } = found;
  const dir = await Deno.makeTempDir({ prefix: "sluice-pg-" });
  if (owner !== undefined) await Deno.chown(dir, owner.uid, owner.gid);
  const data = `${dir}/data`;
  const user = "sluice";
  const port = freePort();
  const pgCtl = (...args: string[]) => runAs.concat([`${bin}/pg_ctl`, "-D", data, ...args]);
  let running = false;
  globalThis.addEventListener("unload", () => {
    if (running) {
      new Deno.Command(runAs[0] ?? `${bin}/pg_ctl`, {
        args: pgCtl("-m", "immediate", "-w", "stop").slice(1),
        stdout: "null",
        stderr: "null",
      }).outputSync();
    }
    Deno.removeSync(dir, { recursive: true });
  });
  await run(runAs.concat([
    `${bin}/initdb`,
    "-D",
    data,
    "-U",
    user,
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
    "--no-instructions",
  ]));
  // No fsync: the data is thrown away anyway, and the machine does not crash
  // in a test. Commits still reach the WAL, so an immediate stop loses nothing.
  const settings = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} ` +
    "-c fsync=off -c full_page_writes=off";
  const start = async () => {
    await run(pgCtl("-l", `${dir}/server.log`, "-o", settings, "-w", "-t", "30", "start"));
    running = true;
  };
  await start();
  const url = (database = "postgres") => `postgres://${user}@127.0.0.1:${port}/${database}`;
  const client = (target: string) => {
    const parsed = checkDatabaseUrl(target);
    return postgres(parsed.href, driverOptions(parsed, { max: 2, applicationName: "sluice-test" }));
  };
  let databases = 0;
  return {
    port,
    user,
    url,
    client,
    async createDatabase() {
      const name = `test_${++databases}`;
      const admin = client(url());
      try {
        await admin.unsafe(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async stop(mode = "fast") {
      running = false;
      await run(pgCtl("-m", mode, "-w", "stop"));
    },
    start,
  };
}

/**
 * The state of every backend that Sluice opened (`application_name` sluice)
 * in a database, such as `["idle", "idle"]` or `["active"]`.
 */
export async function sluiceBackends(sql: Sql<{ bigint: bigint }>): Promise<string[]> {
  const rows = await sql.unsafe(
    `SELECT state FROM pg_stat_activity
     WHERE application_name = 'sluice' AND pid <> pg_backend_pid() ORDER BY state`,
  );
  return rows.map((r) => r.state as string);
}
