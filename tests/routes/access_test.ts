/**
 * Access control through a real socket: revocation without a restart, signed
 * links (tampered in each part, expired, with ranges), POST /sign, the 429
 * after repeated failures, the refusal metrics, and log redaction.
 */

import assert from "node:assert/strict";
import { importSigningKey, signLink } from "../../lib/access/signed_link.ts";
import { BIG, startAccessServer } from "../support/access_fixture.ts";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";

async function problem(res: Response, status: number): Promise<Record<string, unknown>> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  return await res.json();
}

/** Polls a URL until its status is `status`, for at most 5 s (the file is rechecked every 1 s). */
async function waitForStatus(url: string, init: RequestInit, status: number): Promise<Response> {
  let res: Response | undefined;
  for (let i = 0; i < 50; i++) {
    res = await fetch(url, init);
    if (res.status === status) return res;
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still ${res?.status} after 5 s`);
}

Deno.test("a token deleted from the tokens file is refused without a restart, and a new one works", async () => {
  await using s = await startAccessServer();
  const url = `${s.server.origin}/media/a.txt`;
  assert.equal(await (await fetch(url, { headers: s.auth("media") })).text(), "top\n");
  const lines = (await Deno.readTextFile(s.tokensFile)).split("\n");
  // Rewritten in place, as an editor would, without the "media" line.
  await Deno.writeTextFile(s.tokensFile, lines.filter((l) => !l.startsWith("media ")).join("\n"));
  const revoked = await waitForStatus(url, { headers: s.auth("media") }, 401);
  assert.equal(
    revoked.headers.get("www-authenticate"),
    'Bearer realm="sluice", error="invalid_token"',
  );
  await revoked.body?.cancel();
  // Others keep working.
  assert.equal(await (await fetch(url, { headers: s.auth("all") })).text(), "top\n");
  // The line back: the same token works again.
  await Deno.writeTextFile(s.tokensFile, lines.join("\n"));
  const back = await waitForStatus(url, { headers: s.auth("media") }, 200);
  assert.equal(await back.text(), "top\n");
});

Deno.test("a tokens file that disappears refuses every token until it is back", async () => {
  await using s = await startAccessServer();
  const url = `${s.server.origin}/media/a.txt`;
  const text = await Deno.readTextFile(s.tokensFile);
  await Deno.remove(s.tokensFile);
  await (await waitForStatus(url, { headers: s.auth("all") }, 401)).body?.cancel();
  await Deno.writeTextFile(s.tokensFile, text, { mode: 0o600 });
  assert.equal(await (await waitForStatus(url, { headers: s.auth("all") }, 200)).text(), "top\n");
  assert.ok(
    s.server.logs.some((l) => l.includes("tokens file: cannot read it, refusing every token")),
    s.server.logs.join("\n"),
  );
});

Deno.test("signed links: valid for exactly their path and query until they expire", async (t) => {
  await using s = await startAccessServer(["--max-auth-failures", "0"]);
  const key = await importSigningKey(await Deno.readTextFile(s.keyFile));
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  const link = await signLink(key, "/media/sub/b.txt?download=x.txt", inAnHour);
  const get = (target: string, init: RequestInit = {}) =>
    fetch(`${s.server.origin}${target}`, init);

  await t.step("the link works with no token, and says it is private", async () => {
    const res = await get(link);
    assert.equal(await res.text(), "inner\n");
    assert.equal(res.headers.get("content-disposition"), "attachment; filename=x.txt");
    assert.equal(res.headers.get("cache-control"), "private, no-cache");
    const head = await get(link, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "6");
  });

  await t.step("tampering with any part breaks it", async () => {
    const sig = link.slice(link.lastIndexOf("=") + 1);
    const flip = (c: string) => (c === "A" ? "B" : "A");
    const tampered = [
      link.replace("/sub/b.txt", "/sub/big.bin"), // path
      link.replace("download=x.txt", "download=y.txt"), // a parameter
      link.replace("?download=x.txt&", "?"), // a parameter removed
      link.replace("&expires", "&zip&expires"), // a parameter added
      link.replace(`expires=${inAnHour}`, `expires=${inAnHour + 1}`), // expires
      link.slice(0, -1) + flip(link.at(-1)!), // the signature's last character
      link.replace(sig, flip(sig[0]) + sig.slice(1)), // its first
      link.replace(sig, sig.slice(0, -1)), // cut short
      `${link}&x=1`, // anything after sig
    ];
    for (const target of tampered) {
      const body = await problem(await get(target), 403);
      assert.equal(body.detail, "The link's signature does not match its path and query", target);
    }
  });

  await t.step("an expired link is 403 with its expiry in the problem", async () => {
    const past = Math.floor(Date.now() / 1000) - 10;
    const expired = await signLink(key, "/media/sub/b.txt", past);
    const body = await problem(await get(expired), 403);
    assert.equal(body.expires, past);
    assert.equal(body.expired_at, new Date(past * 1000).toISOString());
    assert.equal(body.detail, `The link expired at ${body.expired_at}; ask for a new one`);
  });

  await t.step(
    "ranges, If-Range and a resumed download work on a link; after expiry the resume is 403",
    async () => {
      const big = await signLink(key, "/media/sub/big.bin", inAnHour);
      const first = await get(big, { headers: { range: "bytes=0-999" } });
      assert.equal(first.status, 206);
      assert.equal(first.headers.get("content-range"), `bytes 0-999/${BIG.length}`);
      assert.deepEqual(new Uint8Array(await first.arrayBuffer()), BIG.subarray(0, 1000));
      const etag = first.headers.get("etag")!;
      const rest = await get(big, { headers: { range: "bytes=1000-", "if-range": etag } });
      assert.equal(rest.status, 206);
      assert.deepEqual(new Uint8Array(await rest.arrayBuffer()), BIG.subarray(1000));
      const soon = Math.floor(Date.now() / 1000) - 1;
      const old = await signLink(key, "/media/sub/big.bin", soon);
      const resumed = await get(old, { headers: { range: "bytes=1000-", "if-range": etag } });
      assert.equal(resumed.headers.get("content-range"), null);
      assert.equal((await problem(resumed, 403)).expires, soon);
    },
  );

  await t.step("a link is for GET and HEAD only, and needs the server's key", async () => {
    const post = await get(link, { method: "POST" });
    assert.equal(post.status, 405);
    await post.body?.cancel();
    const other = await importSigningKey(new Uint8Array(32).fill(7).toBase64());
    const forged = await signLink(other, "/media/sub/b.txt", inAnHour);
    await problem(await get(forged), 403);
  });
});

Deno.test("POST /sign signs only what the caller may GET, and refuses bad bodies", async () => {
  await using s = await startAccessServer();
  const sign = (body: string, headers: HeadersInit = s.auth("signer")) =>
    fetch(`${s.server.origin}/sign`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const ok = await sign(
    JSON.stringify({ paths: ["/media/sub/b.txt", "/media/sub/?zip"], ttl: 60 }),
  );
  assert.equal(ok.status, 200);
  const { links } = await ok.json();
  assert.deepEqual(links.map((l: { path: string }) => l.path), [
    "/media/sub/b.txt",
    "/media/sub/?zip",
  ]);
  const now = Date.now() / 1000;
  assert.ok(links[0].expires > now + 50 && links[0].expires <= now + 61);
  assert.equal(await (await fetch(`${s.server.origin}${links[0].url}`)).text(), "inner\n");
  const zip = await fetch(`${s.server.origin}${links[1].url}`, { method: "HEAD" });
  assert.equal(zip.headers.get("content-type"), "application/zip");

  const outside = await sign(JSON.stringify({ paths: ["/media/sub/b.txt", "/media/a.txt"] }));
  assert.equal(
    (await problem(outside, 403)).detail,
    'Cannot sign "/media/a.txt": this token may not GET it',
  );
  const bad: [string, number, string][] = [
    ["not json", 400, "The body is not JSON"],
    ["{}", 400, '"paths" must be a list of 1 to 1000 paths, such as ["/media/a.mp4"]'],
    ['{"paths":[]}', 400, '"paths" must be a list of 1 to 1000 paths, such as ["/media/a.mp4"]'],
    [
      '{"paths":["/media/sub/b.txt"],"ttl":0}',
      400,
      '"ttl" must be a number of seconds from 1 to 604800',
    ],
    [
      '{"paths":["http://evil/media/sub/b.txt"]}',
      400,
      'Cannot sign "http://evil/media/sub/b.txt": give a path such as /media/a.mp4',
    ],
    [
      '{"paths":["/media/sub/b.txt?sig=x"]}',
      400,
      'Cannot sign "/media/sub/b.txt?sig=x": it has expires or sig already',
    ],
    [JSON.stringify({ paths: ["/" + "x".repeat(70_000)] }), 413, "The body is over 65536 bytes"],
    [
      '{"paths":["/media/%ZZ"]}',
      400,
      'Cannot sign "/media/%ZZ": The path has malformed percent-encoding',
    ],
  ];
  for (const [body, status, detail] of bad) {
    assert.equal((await problem(await sign(body), status)).detail, detail, body.slice(0, 60));
  }
  const plain = await fetch(`${s.server.origin}/sign`, {
    method: "POST",
    headers: s.auth("signer"),
    body: '{"paths":["/media/sub/b.txt"]}',
  });
  assert.equal(
    (await problem(plain, 400)).detail,
    "Send the paths as Content-Type: application/json",
  );
});

Deno.test("POST /sign without --signing-key-file is 404 saying what to add", async () => {
  await using s = await startAccessServer([], { signingKey: false });
  const res = await fetch(`${s.server.origin}/sign`, {
    method: "POST",
    headers: { "content-type": "application/json", ...s.auth("all") },
    body: '{"paths":["/media/a.txt"]}',
  });
  assert.equal(
    (await problem(res, 404)).detail,
    "Signed links are off: start Sluice with --signing-key-file",
  );
  // And a `sig` parameter is then no credential at all.
  const link = await fetch(
    `${s.server.origin}/media/a.txt?expires=9999999999&sig=${"A".repeat(43)}`,
  );
  await problem(link, 401);
});

Deno.test("--max-auth-failures: past the limit an address gets 429, even with a right token; other addresses do not", async () => {
  await using s = await startAccessServer([
    "--max-auth-failures",
    "3",
    "--client-ip-header",
    "x-forwarded-for",
  ]);
  const url = `${s.server.origin}/media/a.txt`;
  const from = (address: string, token: string) => ({
    headers: { "x-forwarded-for": address, authorization: `Bearer ${token}` },
  });
  for (let i = 0; i < 3; i++) await problem(await fetch(url, from("10.0.0.1", "guess" + i)), 401);
  // A missing token and a known token without the scope are not guesses.
  await problem(await fetch(url, { headers: { "x-forwarded-for": "10.0.0.2" } }), 401);
  const blocked = await fetch(url, from("10.0.0.1", s.tokens.media));
  assert.match(
    String((await problem(blocked, 429)).detail),
    /^Too many failed tokens or links from this address; retry in \d+s$/,
  );
  const wait = Number(blocked.headers.get("retry-after"));
  assert.ok(wait >= 1 && wait <= 60, String(wait));
  assert.equal(await (await fetch(url, from("10.0.0.2", s.tokens.media))).text(), "top\n");
  // Bad signatures count too.
  for (let i = 0; i < 3; i++) {
    await problem(
      await fetch(`${url}?expires=9999999999&sig=${"B".repeat(43)}`, {
        headers: { "x-forwarded-for": "10.0.0.3" },
      }),
      403,
    );
  }
  await problem(await fetch(url, from("10.0.0.3", s.tokens.media)), 429);
  // The page and /healthz stay reachable.
  const health = await fetch(`${s.server.origin}/healthz`, from("10.0.0.1", "x"));
  assert.equal(await health.text(), '{"status":"ok"}');

  const metrics = parseMetrics(
    await (await fetch(`${s.server.origin}/metrics`, { headers: s.auth("metrics") })).text(),
  );
  const v = (labels: Record<string, string>) =>
    sampleValue(metrics, "sluice_access_refused_total", labels);
  assert.equal(v({ route: "media", status: "401", reason: "bad-token" }), 3);
  assert.equal(v({ route: "media", status: "401", reason: "no-token" }), 1);
  assert.equal(v({ route: "media", status: "403", reason: "bad-signature" }), 3);
  assert.equal(v({ route: "media", status: "429", reason: "blocked" }), 2);
});

Deno.test("the access log names the token's holder and never holds a token or a sig", async () => {
  await using s = await startAccessServer(["--log-format", "json"]);
  const key = await importSigningKey(await Deno.readTextFile(s.keyFile));
  const link = await signLink(key, "/media/a.txt", Math.floor(Date.now() / 1000) + 60);
  const sig = link.slice(link.lastIndexOf("=") + 1);
  const requests: [string, HeadersInit][] = [
    ["/media/a.txt", s.auth("media")],
    ["/media/a.txt", s.auth("sub")],
    ["/media/a.txt", { authorization: "Bearer not-a-token-at-all" }],
    [link, {}],
    [`/media/a.txt?token=${s.tokens.all}&access_token=${s.tokens.media}`, {}],
    ["/healthz", {}],
  ];
  for (const [path, headers] of requests) {
    await (await fetch(`${s.server.origin}${path}`, { headers })).body?.cancel();
  }
  await s.server.waitForLog(/healthz/);
  const entries = s.server.logs.map((line) => JSON.parse(line));
  assert.deepEqual(entries.map((e) => [e.user, e.status, e.path]), [
    ["media", 200, "/media/a.txt"],
    ["sub", 403, "/media/a.txt"],
    ["-", 401, "/media/a.txt"],
    ["#link", 200, link.replace(sig, "REDACTED")],
    ["-", 401, "/media/a.txt?token=REDACTED&access_token=REDACTED"],
    ["-", 200, "/healthz"],
  ]);
  const all = s.server.logs.join("\n");
  for (const secret of [...Object.values(s.tokens), sig, "not-a-token-at-all"]) {
    assert.ok(!all.includes(secret), `the log holds ${secret}`);
  }
});
