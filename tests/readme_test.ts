import assert from "node:assert/strict";
import { OPTIONS } from "../lib/server/config.ts";

const root = new URL("..", import.meta.url).pathname;
const readme = await Deno.readTextFile(`${root}README.md`);
const table = readme.slice(readme.indexOf("<!-- options -->"), readme.indexOf("<!-- /options -->"));

Deno.test("README's options table lists every flag with its variable and default", () => {
  for (const o of OPTIONS) {
    const row = table.split("\n").find((line) => line.includes(`\`--${o.flag}\``));
    assert.ok(row, `--${o.flag} is missing from the README's options table`);
    assert.ok(row.includes(`\`${o.env}\``), `${o.env} is missing from the --${o.flag} row`);
    if (o.default !== "") assert.ok(row.includes(`\`${o.default}\``), `--${o.flag} default`);
  }
});

Deno.test("README's setup is the two npx commands, and .ci/run runs the test one", async () => {
  assert.match(readme, /npx -y deno@2\.9\.6 task start/);
  assert.match(readme, /npx -y deno@2\.9\.6 task test/);
  assert.match(await Deno.readTextFile(`${root}.ci/run`), /npx -y deno@2\.9\.6 task test/);
});
