/**
 * `deno task bench`: measures Sluice beside a minimal Deno file server and
 * nginx on loopback, and prints one table with the ratios and the goals.
 *
 * Flags: `--only NAME[,NAME]` runs some sections; `--quick` uses smaller files,
 * one round and 2 s runs; `--deno-clients` uses the fetch clients even when
 * curl and wrk are installed; `--no-nginx` leaves nginx out.
 *
 * Adding a section: write `bench/<name>_bench.ts` exporting
 * `section: Section` (bench/section.ts) and list it in {@linkcode SECTIONS},
 * or in {@linkcode OPTIONAL_SECTIONS} to load it only when the file exists.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { section as files } from "./files_bench.ts";
import { describeMachine, loadAverage } from "./machine.ts";
import { formatReport, judgeGoals } from "./report.ts";
import type { BenchContext, FileServers, Row, Section } from "./section.ts";
import { Cleanup } from "./cleanup.ts";
import { memoryRows, startFileServers, startSluice } from "./file_servers.ts";
import { findTools } from "./tools.ts";

/** Sections always run (unless `--only` leaves them out), in this order. */
const SECTIONS: Section[] = [files];

/** Modules run after those when they exist; each exports `section: Section`. */
const OPTIONAL_SECTIONS = [
  "./small_bench.ts",
  "./export_bench.ts",
  "./load_bench.ts",
  "./postgres_bench.ts",
  "./zip_bench.ts",
  "./jobs_bench.ts",
  "./counts_bench.ts",
  "./follow_bench.ts",
  "./filters_bench.ts",
];

const repoRoot = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const workDir = `${repoRoot}/bench/.work`;
const log = (line: string) => console.error(line);

async function loadSections(): Promise<Section[]> {
  const sections = [...SECTIONS];
  for (const specifier of OPTIONAL_SECTIONS) {
    const url = new URL(specifier, import.meta.url);
    try {
      await Deno.stat(url);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    // A computed specifier, so that type checking does not require the file.
    const module: { section?: Section } = await import(url.href);
    if (module.section === undefined) throw new Error(`${specifier} exports no \`section\``);
    sections.push(module.section);
  }
  return sections;
}

function usage(sections: Section[]): string {
  return [
    "Usage: deno task bench [--quick] [--only NAME[,NAME]] [--deno-clients] [--no-nginx]",
    "",
    "Sections:",
    ...sections.map((s) => `  ${s.name.padEnd(10)} ${s.description}`),
  ].join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      only: { type: "string", multiple: true },
      quick: { type: "boolean" },
      "deno-clients": { type: "boolean" },
      "no-nginx": { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  const all = await loadSections();
  if (values.help) {
    console.log(usage(all));
    return 0;
  }
  const only = values.only?.flatMap((o) => o.split(",")).filter((o) => o !== "");
  const unknown = only?.filter((name) => !all.some((s) => s.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(`bench: no section named ${unknown.join(", ")}\n\n${usage(all)}`);
    return 2;
  }
  const chosen = only === undefined ? all : all.filter((s) => only.includes(s.name));

  const tools = await findTools({
    denoClients: values["deno-clients"],
    nginx: !values["no-nginx"],
  });
  const machine = await describeMachine(tools);
  await Deno.mkdir(workDir, { recursive: true });

  const cleanup = new Cleanup(log);
  const onSignal = () => cleanup.run().then(() => Deno.exit(130));
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, onSignal);

  let fileServers: Promise<FileServers> | undefined;
  const ctx: BenchContext = {
    quick: values.quick ?? false,
    rounds: values.quick ? 1 : 3,
    seconds: values.quick ? 2 : 5,
    repoRoot,
    workDir,
    tools,
    fileServers: () => fileServers ??= startFileServers(repoRoot, tools, cleanup),
    startSluice: (args) => startSluice(repoRoot, args, cleanup),
    defer: (task) => cleanup.add(task),
    log,
  };

  const rows: Row[] = [];
  const failures: string[] = [];
  try {
    for (const section of chosen) {
      log(`== ${section.name}`);
      try {
        for (const row of await section.run(ctx)) rows.push({ section: section.name, ...row });
      } catch (error) {
        failures.push(`${section.name}: ${(error as Error).stack ?? error}`);
        log(`${section.name} failed: ${(error as Error).message}`);
      }
    }
    const started = await fileServers?.catch(() => undefined);
    if (started !== undefined) rows.push(...await memoryRows(started));
  } finally {
    await cleanup.run();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.removeSignalListener(signal, onSignal);
    }
  }

  const mode = ctx.quick ? "quick" : "full";
  console.log(`Sluice bench (${mode}: ${ctx.rounds} round(s), ${ctx.seconds} s per req/s run)`);
  console.log(machine.map((l) => `  ${l}`).join("\n"));
  console.log(`  Load average at end: ${await loadAverage()}`);
  console.log("");
  console.log(formatReport(rows).join("\n"));
  if (fileServers !== undefined) {
    console.log(
      "\nSluice writes an access-log line per request (text format, to a drained pipe);" +
        " the baseline and nginx log nothing.",
    );
  }
  const missed = judgeGoals(rows).filter((g) => g.met === false).length;
  if (missed > 0) console.log(`${missed} goal(s) missed.`);
  if (failures.length > 0) {
    console.log(`\n${failures.length} section(s) failed:\n${failures.join("\n")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
