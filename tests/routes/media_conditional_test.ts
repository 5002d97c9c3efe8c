import assert from "node:assert/strict";
import { makeMediaApp, type MediaAppOptions } from "../support/media_app.ts";
import {
  CLIP,
  FIXTURE_LAST_MODIFIED,
  fixtureEtag,
  makeMediaFixture,
} from "../support/media_fixture.ts";
import { startTestServer } from "../support/server.ts";

const text = new TextDecoder();
const ETAG = fixtureEtag(1000);
const BEFORE = "Tue, 02 Jan 2024 03:04:04 GMT";
const AFTER = "Wed, 03 Jan 2024 00:00:00 GMT";

/** Sends a request for a path: to the media route directly, or over a socket. */
type Client = (path: string, init?: RequestInit) => Promise<Response>;

async function get(client: Client, path: string, init?: RequestInit) {
  const res = await client(path, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The rules need no socket: most tests call the media route directly. */
async function withMedia(fn: (client: Client) => Promise<void>, options: MediaAppOptions = {}) {
  await using app = await makeMediaApp(options);
  await fn(app.fetch);
}

/** A real Sluice, for what only the wire shows (Date, no stray body bytes). */
async function withServer(fn: (client: Client) => Promise<void>) {
  await using fx = await makeMediaFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  await fn((path, init) => fetch(server.origin + path, init));
}

const clip = (client: Client, headers: HeadersInit, method = "GET") =>
  get(client, "/media/clip.mp4", { method, headers });

/** RFC 9110 §15.4.5: a 304 has no body and only the validator and caching fields. */
function assertNotModified(
  res: Response,
  bytes: Uint8Array,
  cacheControl = "max-age=3600",
) {
  assert.equal(res.status, 304);
  assert.equal(bytes.byteLength, 0);
  const allowed = new Set([
    "etag",
    "last-modified",
    "cache-control",
    "vary",
    "date",
    "x-request-id",
  ]);
  for (const [name] of res.headers) assert.ok(allowed.has(name), `a 304 carries ${name}`);
  assert.equal(res.headers.get("etag"), ETAG);
  assert.equal(res.headers.get("last-modified"), FIXTURE_LAST_MODIFIED);
  assert.equal(res.headers.get("cache-control"), cacheControl);
  assert.equal(res.headers.get("content-type"), null);
  assert.equal(res.headers.get("content-length"), null);
}

function assertFull(res: Response, bytes: Uint8Array, label: string) {
  assert.equal(res.status, 200, label);
  assert.equal(res.headers.get("etag"), ETAG);
  assert.deepEqual(bytes, CLIP, label);
}

function assertPreconditionFailed(res: Response, bytes: Uint8Array, label: string) {
  assert.equal(res.status, 412, label);
  assert.equal(res.headers.get("etag"), ETAG);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  assert.deepEqual(JSON.parse(text.decode(bytes)), {
    type: "about:blank",
    title: "Precondition Failed",
    status: 412,
    detail: "The file does not match the request's preconditions",
  }, label);
}

Deno.test("If-None-Match with a matching tag, weakly compared, is a bare 304, with Date, on the wire", async () => {
  await withServer(async (client) => {
    for (
      const inm of [
        ETAG,
        `W/${ETAG}`,
        `"other", ${ETAG}`,
        `"a",W/"b" ,  ${ETAG}`,
        "*",
        " * ",
      ]
    ) {
      for (const method of ["GET", "HEAD"]) {
        const { res, bytes } = await clip(client, { "if-none-match": inm }, method);
        assertNotModified(res, bytes);
        assert.notEqual(res.headers.get("date"), null);
      }
    }
  });
});

Deno.test("If-None-Match without a matching tag sends the file", async () => {
  await withMedia(async (client) => {
    for (const inm of ['"other"', 'W/"other"', `"${ETAG}"`, ETAG.slice(0, -1), "", "garbage"]) {
      const { res, bytes } = await clip(client, { "if-none-match": inm });
      assertFull(res, bytes, inm);
    }
  });
});

Deno.test("a 304 keeps the configured Cache-Control", async () => {
  await withMedia(async (client) => {
    const { res, bytes } = await clip(client, { "if-none-match": ETAG });
    assertNotModified(res, bytes, "no-cache");
  }, { cacheControl: "no-cache" });
});

Deno.test("If-Modified-Since at or after Last-Modified is a 304; before it, a 200", async () => {
  await withMedia(async (client) => {
    // The three HTTP-date forms of RFC 9110 §5.6.7 (IMF-fixdate, RFC 850, asctime).
    for (
      const ims of [
        FIXTURE_LAST_MODIFIED,
        AFTER,
        "Tuesday, 02-Jan-24 03:04:05 GMT",
        "Tue Jan  2 03:04:05 2024",
      ]
    ) {
      const { res, bytes } = await clip(client, { "if-modified-since": ims });
      assertNotModified(res, bytes);
    }
    for (const ims of [BEFORE, "Mon, 01 Jan 2024 00:00:00 GMT", "not a date", "0", "2099"]) {
      const { res, bytes } = await clip(client, { "if-modified-since": ims });
      assertFull(res, bytes, ims);
    }
  });
});

Deno.test("If-None-Match takes precedence over If-Modified-Since", async () => {
  await withMedia(async (client) => {
    // The tag does not match: the date, which would say "not modified", is ignored.
    const changed = await clip(client, { "if-none-match": '"other"', "if-modified-since": AFTER });
    assertFull(changed.res, changed.bytes, "tag miss + fresh date");
    // The tag matches: 304 even though the date says "modified".
    const same = await clip(client, { "if-none-match": ETAG, "if-modified-since": BEFORE });
    assertNotModified(same.res, same.bytes);
  });
});

Deno.test("If-Match that fails is a 412; a strong match or * proceeds", async () => {
  await withMedia(async (client) => {
    for (const im of [ETAG, `"other", ${ETAG}`, "*"]) {
      const { res, bytes } = await clip(client, { "if-match": im });
      assertFull(res, bytes, im);
    }
    // If-Match uses the strong comparison: a weak tag never matches.
    for (const im of ['"other"', `W/${ETAG}`, "garbage", ""]) {
      for (const method of ["GET", "HEAD"]) {
        const { res, bytes } = await clip(client, { "if-match": im }, method);
        if (method === "GET") assertPreconditionFailed(res, bytes, im);
        else assert.equal(res.status, 412, `HEAD ${im}`);
      }
    }
  });
});

Deno.test("If-Unmodified-Since before Last-Modified is a 412; at or after it proceeds", async () => {
  await withMedia(async (client) => {
    const failed = await clip(client, { "if-unmodified-since": BEFORE });
    assertPreconditionFailed(failed.res, failed.bytes, BEFORE);
    for (const ius of [FIXTURE_LAST_MODIFIED, AFTER]) {
      const { res, bytes } = await clip(client, { "if-unmodified-since": ius });
      assertFull(res, bytes, ius);
    }
  });
});

Deno.test("If-Unmodified-Since that is not an HTTP-date is ignored", async () => {
  await withMedia(async (client) => {
    // RFC 9110 §13.1.4: a recipient MUST ignore it when it is not a valid HTTP-date.
    for (const ius of ["0", "1", "2020", "yesterday", "Tue, 02 Jan 2024", "2024-01-01T00:00:00Z"]) {
      const { res, bytes } = await clip(client, { "if-unmodified-since": ius });
      assertFull(res, bytes, ius);
    }
  });
});

Deno.test("If-Match takes precedence over If-Unmodified-Since", async () => {
  await withMedia(async (client) => {
    const matches = await clip(client, { "if-match": ETAG, "if-unmodified-since": BEFORE });
    assertFull(matches.res, matches.bytes, "tag match + stale date");
    const fails = await clip(client, { "if-match": '"other"', "if-unmodified-since": AFTER });
    assertPreconditionFailed(fails.res, fails.bytes, "tag miss + fresh date");
  });
});

Deno.test("412 preconditions are checked before 304 ones (RFC 9110 §13.2.2)", async () => {
  await withMedia(async (client) => {
    const both = await clip(client, { "if-match": '"other"', "if-none-match": ETAG });
    assertPreconditionFailed(both.res, both.bytes, "If-Match + If-None-Match");
    const dates = await clip(client, {
      "if-unmodified-since": BEFORE,
      "if-modified-since": AFTER,
    });
    assertPreconditionFailed(dates.res, dates.bytes, "IUS + IMS");
    const passes = await clip(client, { "if-match": ETAG, "if-none-match": ETAG });
    assertNotModified(passes.res, passes.bytes);
  });
});

Deno.test("conditionals are evaluated before Range: 304 and 412 win over 206", async () => {
  await withMedia(async (client) => {
    const notModified = await clip(client, { "if-none-match": ETAG, range: "bytes=0-9" });
    assertNotModified(notModified.res, notModified.bytes);
    const failed = await clip(client, { "if-match": '"other"', range: "bytes=0-9" });
    assertPreconditionFailed(failed.res, failed.bytes, "If-Match + Range");
    const ranged = await clip(client, { "if-match": ETAG, range: "bytes=0-9" });
    assert.equal(ranged.res.status, 206);
    assert.deepEqual(ranged.bytes, CLIP.slice(0, 10));
  });
});

Deno.test("conditionals on an empty file and a unicode name", async () => {
  await withMedia(async (client) => {
    const empty = await get(client, `/media/empty.txt`, {
      headers: { "if-none-match": fixtureEtag(0) },
    });
    assert.equal(empty.res.status, 304);
    assert.equal(empty.bytes.byteLength, 0);
    const unicode = await get(client, `/media/%C3%BCmlaut%20%C3%B1ame.txt`, {
      headers: { "if-modified-since": FIXTURE_LAST_MODIFIED },
    });
    assert.equal(unicode.res.status, 304);
    assert.equal(unicode.res.headers.get("etag"), fixtureEtag(8));
    assert.equal(unicode.bytes.byteLength, 0);
  });
});
