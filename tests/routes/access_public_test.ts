/**
 * The safe default: a non-loopback address with neither tokens nor a signing
 * key stops the start with one line, unless `--public` says it is meant to be
 * open. And `deno task token` itself: the token printed once, only its hash stored.
 */

import assert from "node:assert/strict";
import { ConfigError } from "../../lib/server/config.ts";
import { parseConfig } from "../../lib/server/parse_config.ts";
import { hashToken, parseTokenFile } from "../../lib/access/token_file.ts";
import { spawnSluice } from "../support/sluice_process.ts";
import { checkLink, importSigningKey } from "../../lib/access/signed_link.ts";
import { addSigningKey } from "../../token.ts";

const REFUSAL =
  /^--hostname (\S+) is reachable from other machines and nothing is protected: add --tokens-file FILE \(made by deno task token NAME SCOPES\), or --public to serve it open$/;
const root = new URL("../..", import.meta.url).pathname;

Deno.test("parseConfig() refuses a non-loopback --hostname with no tokens, key or --public", async () => {
  const dir = await Deno.makeTempDir();
  const tokens = `${dir}/tokens`;
  await Deno.writeTextFile(tokens, "");
  try {
    const parse = (args: string[], env: Record<string, string> = {}) =>
      parseConfig(["--media-dir", dir, ...args], (name) => env[name]);
    for (const hostname of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) {
      assert.throws(
        () => parse(["--hostname", hostname]),
        (e) => e instanceof ConfigError && REFUSAL.test(e.message) && e.message.includes(hostname),
      );
      for (
        const extra of [["--public"], ["--tokens-file", tokens], ["--signing-key-file", tokens]]
      ) {
        assert.notEqual(parse(["--hostname", hostname, ...extra]), "help");
      }
      const config = parse(["--hostname", hostname], { PUBLIC: "on" });
      assert.equal(config !== "help" && config.public, true);
    }
    for (const hostname of ["127.0.0.1", "127.8.9.10", "localhost", "::1"]) {
      assert.notEqual(parse(["--hostname", hostname]), "help");
    }
    assert.throws(() => parse(["--hostname", "0.0.0.0"], { PUBLIC: "yes" }), /PUBLIC \(--public\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts on 0.0.0.0 with nothing protected exits 2 with one line", async () => {
  await using proc = spawnSluice(["--hostname", "0.0.0.0", "--port", "0"]);
  const status = await proc.exitWithin(15_000);
  assert.equal(status.code, 2);
  assert.equal(proc.stderr.length, 1, proc.stderr.join("\n"));
  assert.match(proc.stderr[0].replace(/^sluice: /, ""), REFUSAL);
});

Deno.test("deno task token prints the token once, stores only its SHA-256, 0600; refuses a repeat name", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/sub/tokens`;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "token.ts", ...args],
      cwd: root,
      env: { NO_COLOR: "1" },
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  try {
    const made = await run("alice", "media:/films", "export:items,orders", "--tokens-file", file);
    assert.equal(made.code, 0, made.stderr);
    const token = made.stdout.trim();
    assert.match(token, /^sluice_[A-Za-z0-9_-]{43}$/);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(file);
    assert.ok(!text.includes(token.slice(7)));
    assert.equal(text, `alice ${await hashToken(token)} media:/films export:items,orders\n`);
    const [entry] = parseTokenFile(text).entries;
    assert.deepEqual(entry.scopes, [
      { kind: "media", folders: ["/films"] },
      { kind: "export", tables: ["items", "orders"] },
    ]);

    const again = await run("alice", "media", "--tokens-file", file);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /"alice" has a token in .* already; delete its line to revoke it/);
    const badScope = await run("bob", "media:films", "--tokens-file", file);
    assert.equal(badScope.code, 2);
    assert.match(badScope.stderr, /Cannot parse scope "media:films"/);

    const key = `${dir}/key`;
    assert.equal((await run("--signing-key", "--signing-key-file", key)).code, 0);
    assert.equal((await Deno.stat(key)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(key), /^[A-Za-z0-9_-]{43}\n$/);
    const twice = await run("--signing-key", "--signing-key-file", key);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /exists already; delete it first to rotate the key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task sign prints a link the key verifies, valid for its TTL", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = `${dir}/key`;
    await addSigningKey(key);
    const run = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "sign.ts", ...args],
        cwd: root,
        env: { NO_COLOR: "1" },
      }).output();
      const decode = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code: out.code, stdout: decode(out.stdout).trim(), stderr: decode(out.stderr) };
    };
    const before = Math.floor(Date.now() / 1000);
    const made = await run("/export/items.csv?limit=5", "--ttl", "15m", "--signing-key-file", key);
    assert.equal(made.code, 0, made.stderr);
    const match = /^\/export\/items\.csv\?limit=5&expires=(\d+)&sig=[\w-]{43}$/.exec(made.stdout);
    assert.ok(match, made.stdout);
    const expires = Number(match[1]);
    assert.ok(expires >= before + 900 && expires <= before + 902, String(expires));
    const checked = await checkLink(
      await importSigningKey(await Deno.readTextFile(key)),
      new URL(made.stdout, "http://127.0.0.1"),
    );
    assert.deepEqual(checked, { kind: "valid", expires });
    const based = await run(
      "/media/a.mp4",
      "--base",
      "https://m.example.com/",
      "--signing-key-file",
      key,
    );
    assert.match(based.stdout, /^https:\/\/m\.example\.com\/media\/a\.mp4\?expires=\d+&sig=/);
    const bad = await run("/media/a.mp4", "--ttl", "soon", "--signing-key-file", key);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"soon" is not a duration such as 90s, 15m, 1h or 7d/);
    const noKey = await run("/media/a.mp4", "--signing-key-file", `${dir}/none`);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /^sign: cannot read the signing key /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
