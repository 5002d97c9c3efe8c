/**
 * `--cors-origin`: an allowed origin gets the headers a browser app needs and
 * its preflights answered; another origin gets no CORS headers, no preflight,
 * and cannot drive a state change with a victim's credentials.
 */

import assert from "node:assert/strict";
import { startAccessServer } from "../support/access_fixture.ts";

const APP = "https://app.example.com";
const EVIL = "https://evil.example.net";

function corsHeaders(res: Response): string[] {
  return [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));
}

Deno.test("--cors-origin: an allowed origin may read the headers it needs, another origin gets none", async () => {
  await using s = await startAccessServer(["--cors-origin", `${APP},http://localhost:3000`]);
  const get = (path: string, origin: string, headers: HeadersInit = {}) =>
    fetch(`${s.server.origin}${path}`, { headers: { origin, ...s.auth("all"), ...headers } });

  const allowed = await get("/media/sub/big.bin", APP, { range: "bytes=0-9" });
  assert.equal(allowed.status, 206);
  assert.equal(allowed.headers.get("access-control-allow-origin"), APP);
  const exposed = allowed.headers.get("access-control-expose-headers")!.split(", ");
  for (const name of ["Content-Range", "X-Total-Rows", "Repr-Digest", "X-Request-Id"]) {
    assert.ok(exposed.includes(name), name);
  }
  assert.equal(allowed.headers.get("access-control-allow-credentials"), null);
  assert.match(allowed.headers.get("vary") ?? "", /\bOrigin\b/);
  await allowed.body?.cancel();

  // Refusals too, so an app can tell a 401 from a network failure.
  const refused = await fetch(`${s.server.origin}/media/a.txt`, { headers: { origin: APP } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("access-control-allow-origin"), APP);
  await refused.body?.cancel();

  // The export route sets Access-Control-Expose-Headers itself: gone for another origin.
  for (const path of ["/export/plain.csv", "/stream-data?rows=1", "/media/a.txt"]) {
    const other = await get(path, EVIL);
    assert.equal(other.status, 200);
    assert.deepEqual(corsHeaders(other), [], path);
    await other.body?.cancel();
  }
});

Deno.test("--cors-origin: preflights are answered for allowed origins only", async () => {
  await using s = await startAccessServer(["--cors-origin", APP]);
  const preflight = (origin: string) =>
    fetch(`${s.server.origin}/sign`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
  const ok = await preflight(APP);
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), APP);
  assert.match(ok.headers.get("access-control-allow-methods")!, /\bPOST\b/);
  const allowedHeaders = ok.headers.get("access-control-allow-headers")!.toLowerCase();
  for (const name of ["authorization", "content-type", "range", "if-range"]) {
    assert.ok(allowedHeaders.includes(name), name);
  }
  assert.equal(ok.headers.get("access-control-max-age"), "600");
  await ok.body?.cancel();

  const other = await preflight(EVIL);
  assert.equal(other.status, 403);
  assert.deepEqual(corsHeaders(other), []);
  assert.equal(
    (await other.json()).detail,
    "This origin may not call Sluice from a browser (--cors-origin)",
  );

  // Not a preflight (no Access-Control-Request-Method): OPTIONS is no method of ours.
  const plain = await fetch(`${s.server.origin}/sign`, {
    method: "OPTIONS",
    headers: { origin: APP },
  });
  assert.equal(plain.status, 405);
  await plain.body?.cancel();
});

Deno.test("with no --cors-origin, no origin gets CORS headers and cross-site writes are refused", async () => {
  await using s = await startAccessServer();
  const preflight = await fetch(`${s.server.origin}/media/a.txt`, {
    method: "OPTIONS",
    headers: { origin: APP, "access-control-request-method": "GET" },
  });
  assert.equal(preflight.status, 403);
  assert.deepEqual(corsHeaders(preflight), []);
  await preflight.body?.cancel();

  const sign = (headers: Record<string, string | undefined>) =>
    fetch(`${s.server.origin}/sign`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...s.auth("signer"),
        ...Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)),
      } as Record<string, string>,
      body: '{"paths":["/media/sub/b.txt"]}',
    });
  // Even with a valid token: a page elsewhere must not act with a victim's credentials.
  for (
    const headers of [{ origin: EVIL }, { "sec-fetch-site": "cross-site" }, {
      "sec-fetch-site": "same-site",
      origin: EVIL,
    }]
  ) {
    const res = await sign(headers);
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.equal(
      (await res.json()).detail,
      "Requests that change state may not come from another site",
    );
  }
  // The page itself (same origin), and clients that send no Origin (curl), may.
  const host = new URL(s.server.origin).host;
  for (
    const headers of [{ origin: s.server.origin, "sec-fetch-site": "same-origin" }, {
      origin: `http://${host}`,
    }, {}]
  ) {
    const res = await sign(headers);
    assert.equal(res.status, 200, JSON.stringify(headers));
    assert.equal((await res.json()).links.length, 1);
  }
});
