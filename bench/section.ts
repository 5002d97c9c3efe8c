/**
 * What a bench section is and what it gets from the driver (bench/bench.ts).
 *
 * A section is a module that exports `section: Section`. Its `run` measures
 * something and returns rows; the driver prints every section's rows in one
 * table with the ratios and goals. Servers a section starts through the
 * context are stopped by the driver, even when something fails.
 *
 * @module
 */

import type { Tools } from "./tools.ts";
import type { ServerProcess } from "./server_process.ts";

/** A ratio a row should reach: `values[subject] / values[against] >= atLeast`. */
export interface Goal {
  /** The server being judged. @default "sluice" */
  subject?: string;
  /** The server it is compared with, such as `baseline` or `nginx`. */
  against: string;
  /** The least ratio that meets the goal (for rows where lower is better, the ratio is inverted). */
  atLeast: number;
}

/** One measurement across servers. */
export interface Row {
  /** Which section measured it (filled in by the driver when left out). */
  section?: string;
  /** What was measured, such as `GET 1 GiB file`. */
  name: string;
  /** The unit of the values, such as `MB/s`. */
  unit: string;
  /** True for rates, false for costs such as memory. */
  higherIsBetter: boolean;
  /** The figure per server label; a missing label is a server that was not run. */
  values: Record<string, number | undefined>;
  /** Goals from the issue this row is judged against. */
  goals?: Goal[];
  /** One line printed under the table, such as the samples a median came from. */
  note?: string;
}

/** The servers that serve the bench's work folder under `/media/`. */
export interface FileServers {
  /** Sluice, run the way users run it (`deno run ... main.ts`). */
  sluice: ServerProcess;
  /** The least a Deno file server can do (bench/baseline_server.ts). */
  baseline: ServerProcess;
  /** nginx with sendfile, when it is installed. */
  nginx?: ServerProcess;
}

/** What the driver hands to each section. */
export interface BenchContext {
  /** `--quick`: smaller files, one round, shorter runs. */
  quick: boolean;
  /** Rounds for medians (3, or 1 with `--quick`). */
  rounds: number;
  /** Seconds per requests/s measurement. */
  seconds: number;
  /** The repository's root folder. */
  repoRoot: string;
  /** `bench/.work/`, git-ignored, for big fixtures that are kept between runs. */
  workDir: string;
  /** The client programs found (curl, wrk), or the Deno fallbacks. */
  tools: Tools;
  /** Starts the shared file servers on first use; later calls get the same ones. */
  fileServers(): Promise<FileServers>;
  /** Starts another Sluice with these flags (after `--port 0`); stopped at the end. */
  startSluice(args: string[]): Promise<ServerProcess>;
  /** Runs `cleanup` when the bench ends, last registered first. */
  defer(cleanup: () => void | Promise<void>): void;
  /** Prints a progress line (to stderr, so the table stays clean on stdout). */
  log(line: string): void;
}

/** A group of measurements that `--only NAME` can select. */
export interface Section {
  /** Short name for `--only`, such as `files`. */
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Measures and returns the rows to print. */
  run(ctx: BenchContext): Promise<Row[]>;
}
