/**
 * Every route × {no token, wrong token, a token without the scope, the
 * right scope}, through a real socket. Public routes answer all four alike.
 */

import assert from "node:assert/strict";
import { type AccessFixture, startAccessServer, TOKEN_SCOPES } from "../support/access_fixture.ts";

type Name = keyof typeof TOKEN_SCOPES;

/** One protected route: the request, who may and who may not, and the exact answer. */
interface Case {
  method?: string;
  path: string;
  body?: unknown;
  right: Name;
  lacking: Name;
  check(res: Response, s: AccessFixture): Promise<void>;
}

const text = (expected: string, status = 200) => async (res: Response) => {
  assert.equal(res.status, status);
  assert.equal(await res.text(), expected);
};

const CASES: Case[] = [
  {
    path: "/metrics",
    right: "metrics",
    lacking: "media",
    async check(res) {
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^# TYPE sluice_access_refused_total counter$/m);
    },
  },
  { path: "/media/a.txt", right: "media", lacking: "sub", check: text("top\n") },
  { path: "/media/sub/b.txt", right: "sub", lacking: "tables", check: text("inner\n") },
  { path: "/stream-video/a.txt", right: "media", lacking: "metrics", check: text("top\n") },
  {
    path: "/media/sub/",
    right: "sub",
    lacking: "exports",
    async check(res) {
      assert.equal(res.status, 200);
      const listing = await res.json();
      assert.deepEqual(listing.entries.map((e: { name: string }) => e.name), ["b.txt", "big.bin"]);
    },
  },
  {
    path: "/stream-data?rows=2",
    right: "exports",
    lacking: "tables",
    check: text("This is data row number 0\nThis is data row number 1\n"),
  },
  {
    path: "/export/plain.csv",
    right: "tables",
    lacking: "media",
    check: text("name\r\nfirst\r\nsecond\r\n"),
  },
  {
    path: "/export-data",
    right: "tables",
    lacking: "metrics",
    async check(res) {
      assert.equal(res.status, 200);
      const ids = (await res.text()).trim().split("\n").map((line) => JSON.parse(line).id);
      assert.deepEqual(ids, [1, 2, 3, 4, 5]);
    },
  },
  {
    path: "/export/",
    right: "exports",
    lacking: "tables",
    async check(res) {
      assert.equal(res.status, 200);
      const names = (await res.json()).tables.map((t: { name: string }) => t.name);
      assert.ok(names.includes("plain") && names.includes("items"), names.join());
    },
  },
  {
    path: "/export",
    right: "exports",
    lacking: "tables",
    async check(res) {
      assert.equal(res.status, 301);
      assert.equal(res.headers.get("location"), "/export/");
      await res.body?.cancel();
    },
  },
  {
    path: "/jobs",
    right: "jobber",
    lacking: "tables",
    async check(res) {
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { jobs: [] });
    },
  },
  {
    method: "POST",
    path: "/sign",
    body: { paths: ["/media/sub/b.txt"] },
    right: "signer",
    lacking: "media",
    async check(res, s) {
      assert.equal(res.status, 200);
      const { links } = await res.json();
      assert.equal(links.length, 1);
      assert.match(links[0].url, /^\/media\/sub\/b\.txt\?expires=\d+&sig=[\w-]{43}$/);
      const signed = await fetch(`${s.server.origin}${links[0].url}`);
      assert.equal(await signed.text(), "inner\n");
    },
  },
];

function send(s: AccessFixture, c: Case, headers: HeadersInit = {}): Promise<Response> {
  return fetch(`${s.server.origin}${c.path}`, {
    method: c.method ?? "GET",
    redirect: "manual",
    headers: {
      // Listings, the table index and the jobs list answer JSON when asked.
      ...(c.path.endsWith("/") || c.path === "/jobs" ? { accept: "application/json" } : {}),
      ...headers,
      ...(c.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
}

async function problem(res: Response, status: number): Promise<string> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  return body.detail;
}

Deno.test("every protected route: 401 without a token, 401 for a wrong one, 403 without the scope, the content with it", async (t) => {
  // Failures are not limited here: this test makes many on purpose.
  await using s = await startAccessServer(["--max-auth-failures", "0"]);
  for (const c of CASES) {
    await t.step(`${c.method ?? "GET"} ${c.path}`, async () => {
      const none = await send(s, c);
      assert.equal(none.headers.get("www-authenticate"), 'Bearer realm="sluice"');
      assert.equal(
        await problem(none, 401),
        "This needs a token: send Authorization: Bearer TOKEN",
      );

      const wrong = await send(s, c, { authorization: `Bearer ${s.tokens.all}x` });
      assert.equal(
        wrong.headers.get("www-authenticate"),
        'Bearer realm="sluice", error="invalid_token"',
      );
      assert.equal(await problem(wrong, 401), "The token is not known (or was revoked)");

      const lacking = await send(s, c, s.auth(c.lacking));
      assert.equal(
        lacking.headers.get("www-authenticate"),
        'Bearer realm="sluice", error="insufficient_scope"',
      );
      assert.match(await problem(lacking, 403), new RegExp(`^The token "${c.lacking}" has no `));

      await c.check(await send(s, c, s.auth(c.right)), s);
      // `*` reaches everything.
      await c.check(await send(s, c, s.auth("all")), s);
    });
  }
});

Deno.test("public routes (the page, /healthz) answer alike with no token, a wrong one or a right one", async () => {
  await using s = await startAccessServer();
  const app = await Deno.readTextFile(new URL("../../routes/page/app.js", import.meta.url));
  const expected: [string, (body: string) => void][] = [
    ["/healthz", (body) => assert.equal(body, '{"status":"ok"}')],
    ["/ui/app.js", (body) => assert.equal(body, app)],
    ["/", (body) => assert.match(body, /^<!doctype html>/i)],
  ];
  for (const [path, check] of expected) {
    for (const headers of [{}, { authorization: "Bearer nope" }, s.auth("metrics")]) {
      const res = await fetch(`${s.server.origin}${path}`, { headers });
      assert.equal(res.status, 200, path);
      check(await res.text());
    }
  }
});

Deno.test("a path no route serves is 404 with or without a token, and a malformed Authorization is a wrong token", async () => {
  await using s = await startAccessServer();
  for (const headers of [{}, s.auth("all")]) {
    const res = await fetch(`${s.server.origin}/nothing-here`, { headers });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  }
  for (const value of ["Basic YWxpY2U6eA==", "Bearer", "Bearer a b", `bearer  ${s.tokens.all}x`]) {
    const res = await fetch(`${s.server.origin}/media/a.txt`, {
      headers: { authorization: value },
    });
    assert.equal(
      res.headers.get("www-authenticate"),
      'Bearer realm="sluice", error="invalid_token"',
    );
    assert.equal(await problem(res, 401), "The token is not known (or was revoked)");
  }
  // The scheme is case-insensitive (RFC 9110 §11.1).
  const res = await fetch(`${s.server.origin}/media/a.txt`, {
    headers: { authorization: `bearer ${s.tokens.media}` },
  });
  assert.equal(await res.text(), "top\n");
});
