import assert from "node:assert/strict";
import { hashToken, parseTokenFile, TokenFile } from "../../../lib/access/token_file.ts";

Deno.test("parseTokenFile() reads lines, skips comments and reports bad lines by number", async () => {
  const hash = await hashToken("secret");
  const { entries, problems } = parseTokenFile(
    `# tokens\n\nalice ${hash} media sign\nbob ${hash.toUpperCase()} media\n#x\ncarol ${hash}\n` +
      `dave ${hash} admin\n-eve ${hash} media\n`,
  );
  assert.deepEqual(entries.map((e) => e.name), ["alice"]);
  assert.deepEqual(problems, [
    "line 4: the second field is not a SHA-256",
    "line 6: A token needs at least one scope",
    'line 7: Cannot parse scope "admin": use media, media:/folder, export, export:table,table, jobs, metrics, sign or *',
    'line 8: "-eve" is not a token name',
  ]);
});

Deno.test("TokenFile.find() knows a token by its hash, and nothing for empty or huge input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t`, `alice ${await hashToken("secret")} *\n`);
    const logged: string[] = [];
    const file = new TokenFile(`${dir}/t`, { log: (m) => logged.push(m), recheckMs: 0 });
    await file.load();
    assert.equal((await file.find("secret"))?.name, "alice");
    assert.equal(await file.find("secreT"), undefined);
    assert.equal(await file.find(""), undefined);
    assert.equal(await file.find("x".repeat(10_000)), undefined);
    await Deno.writeTextFile(`${dir}/t`, `alice nope *\n`);
    assert.equal(await file.find("secret"), undefined);
    assert.deepEqual(logged, ["tokens file: line 1: the second field is not a SHA-256 (ignored)"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
