import assert from "node:assert/strict";
import { OPTIONS } from "../lib/server/config.ts";
import { DRIVER_ENV } from "../lib/export/postgres/postgres_options.ts";

const root = new URL("..", import.meta.url).pathname;
const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(`${root}deno.json`)).tasks;

Deno.test("start, dev and compile may read exactly Sluice's environment variables", () => {
  // Plus the two the PostgreSQL driver reads whatever options it is given.
  const expected = [...OPTIONS.map((o) => o.env), ...DRIVER_ENV].sort();
  for (const name of ["start", "dev", "compile"]) {
    const list = /--allow-env=(\S+)/.exec(tasks[name])?.[1];
    assert.ok(list, `${name} has no --allow-env= list`);
    assert.deepEqual(list.split(",").sort(), expected, name);
  }
});

Deno.test("no task runs with -A or --allow-all, and the server may write only ./data", () => {
  for (const [name, command] of Object.entries(tasks)) {
    assert.doesNotMatch(command, /(^|\s)(-A|--allow-all)(\s|$)/, name);
  }
  for (const name of ["start", "dev", "compile"]) {
    assert.match(tasks[name], /--allow-write=\.\/data(\s|$)/, name);
  }
});
