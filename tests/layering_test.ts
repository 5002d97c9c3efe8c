/**
 * The arrows of lib/README.md, checked: every import in lib/ and routes/
 * points down. The allowed arrows are read from lib/README.md's table, so the
 * README cannot drift from the code either.
 */

import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;

/** Folder → the lib folders it may import (itself included), from lib/README.md. */
async function allowedArrows(): Promise<Map<string, Set<string>>> {
  const readme = await Deno.readTextFile(join(root, "lib/README.md"));
  const rows = readme.split("\n").filter((line) => /^\|\s*`\w+\/`\s*\|/.test(line));
  const arrows = new Map<string, Set<string>>();
  for (const row of rows) {
    const cells = row.split("|").map((cell) => cell.trim());
    const folder = cells[1].replaceAll(/[`/]/g, "");
    const mayImport = cells.at(-2)!;
    const below = mayImport === "everything above"
      ? [...arrows.keys()]
      : mayImport.startsWith("nothing")
      ? []
      : [...mayImport.matchAll(/`(\w+)\/`/g)].map((m) => m[1]);
    arrows.set(folder, new Set([folder, ...below]));
  }
  return arrows;
}

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sourceFiles(path);
    else if (/\.(ts|js)$/.test(entry.name)) yield path;
  }
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(source: string): string[] {
  const found = [];
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1]);
  }
  return found;
}

/** Which part of the tree a project path is in: `lib/http`, `routes`, `main.ts`… */
function partOf(path: string): string {
  const [top, sub] = relative(root, path).split("/");
  return top === "lib" && sub !== undefined && !sub.includes(".") ? `lib/${sub}` : top;
}

/** The imports in lib/ and routes/ that point the wrong way. */
async function wrongArrows(): Promise<string[]> {
  const arrows = await allowedArrows();
  const wrong = [];
  for (const top of ["lib", "routes"]) {
    for await (const file of sourceFiles(join(root, top))) {
      const from = partOf(file);
      for (const spec of specifiers(await Deno.readTextFile(file))) {
        // Bare and node:/npm: specifiers are packages, not layers.
        if (!spec.startsWith(".")) continue;
        const to = partOf(join(dirname(file), spec));
        const ok = from === "routes"
          ? to === "routes" || to.startsWith("lib/")
          : from.startsWith("lib/") && to.startsWith("lib/") &&
            (arrows.get(from.slice(4))?.has(to.slice(4)) ?? false);
        if (!ok) wrong.push(`${relative(root, file)} imports ${spec} (${from} → ${to})`);
      }
    }
  }
  return wrong;
}

Deno.test("lib/README.md names an arrow for every lib/ folder", async () => {
  const arrows = await allowedArrows();
  const folders = [];
  for await (const entry of Deno.readDir(join(root, "lib"))) {
    if (entry.isDirectory) folders.push(entry.name);
  }
  assert.deepEqual([...arrows.keys()].sort(), folders.sort());
  assert.deepEqual([...arrows.get("streams")!], ["streams"]);
});

Deno.test("every import in lib/ and routes/ points down", async () => {
  assert.deepEqual(await wrongArrows(), []);
});

Deno.test("specifiers() finds static, type-only, re-exported and dynamic imports", () => {
  const source = [
    `import { a } from "./a.ts";`,
    `import type {\n  B,\n} from "../b.ts";`,
    `export { c } from "./c.ts";`,
    `import "./d.ts";`,
    `const e = await import("./e.ts");`,
    `// a comment that says import nothing from "here"`,
  ].join("\n");
  assert.deepEqual(specifiers(source), ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"]);
});
