import assert from "node:assert/strict";
import { bytesReadByProcess, stableHeaders } from "../support/http.ts";
import {
  CLIP,
  FIXTURE_LAST_MODIFIED,
  fixtureEtag,
  makeMediaFixture,
} from "../support/media_fixture.ts";
import { makeMediaApp, type MediaApp } from "../support/media_app.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const text = new TextDecoder();

async function get(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The media route called directly: the HTTP rules need no socket. */
async function call(app: MediaApp, path: string, init?: RequestInit) {
  const res = await app.fetch(path, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Whether Vary names `field` (compression may add accept-encoding beside it). */
function varies(res: Response, field: string): boolean {
  return (res.headers.get("vary") ?? "").split(/\s*,\s*/).includes(field);
}

/** A Date header is an IMF-fixdate within a few seconds of now. */
function assertFreshDate(value: string | null) {
  assert.match(value ?? "", /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  assert.ok(Math.abs(Date.parse(value!) - Date.now()) < 5000, `Date ${value} is not now`);
}

Deno.test("GET /media/clip.mp4 streams the file with every validator and caching header", async () => {
  await using fx = await makeMediaFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  const { res, bytes } = await get(`${server.origin}/media/clip.mp4`);
  assert.equal(res.status, 200);
  assert.deepEqual(stableHeaders(res), [
    ["accept-ranges", "bytes"],
    ["cache-control", "max-age=3600"],
    ["content-disposition", "inline; filename=clip.mp4"],
    ["content-length", "1000"],
    ["content-type", "video/mp4"],
    ["etag", fixtureEtag(1000)],
    ["last-modified", FIXTURE_LAST_MODIFIED],
    ["x-content-type-options", "nosniff"],
  ]);
  assertFreshDate(res.headers.get("date"));
  assert.deepEqual(bytes, CLIP);
});

Deno.test("GET /stream-video/{name} is an alias of /media/{name}", async () => {
  await using fx = await makeMediaApp();
  const media = await call(fx, `/media/clip.mp4`);
  const alias = await call(fx, `/stream-video/clip.mp4`);
  assert.equal(alias.res.status, 200);
  assert.deepEqual(stableHeaders(alias.res), stableHeaders(media.res));
  assert.deepEqual(alias.bytes, CLIP);
  const nested = await call(fx, `/stream-video/docs/guide.txt`);
  assert.equal(nested.res.status, 200);
  assert.equal(text.decode(nested.bytes), "guide\n");
});

Deno.test("Content-Type comes from the extension, with a fallback for unknown ones", async () => {
  await using fx = await makeMediaApp();
  const cases: [string, string, string][] = [
    ["notes.txt", "text/plain; charset=utf-8", "hello, sluice\n"],
    ["blob.xyz123", "application/octet-stream", "???"],
    ["with%20space.txt", "text/plain; charset=utf-8", "spaces\n"],
    ["%C3%BCmlaut%20%C3%B1ame.txt", "text/plain; charset=utf-8", "unicode\n"],
    ["inner-link.txt", "text/plain; charset=utf-8", "hello, sluice\n"],
  ];
  for (const [path, type, body] of cases) {
    const { res, bytes } = await call(fx, `/media/${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), type, path);
    assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(body).length));
    assert.equal(text.decode(bytes), body, path);
  }
});

Deno.test("an empty file is a 200 with Content-Length 0 and no bytes", async () => {
  await using fx = await makeMediaApp();
  const { res, bytes } = await call(fx, `/media/empty.txt`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), "0");
  assert.equal(res.headers.get("etag"), fixtureEtag(0));
  assert.equal(bytes.byteLength, 0);
});

Deno.test("--cache-control replaces the default Cache-Control", async () => {
  await using fx = await makeMediaApp({ cacheControl: "private, no-cache" });
  const { res } = await call(fx, `/media/notes.txt`);
  assert.equal(res.headers.get("cache-control"), "private, no-cache");
});

Deno.test("HEAD sends GET's headers without a body, and does not read the file", async () => {
  await using fx = await makeMediaFixture();
  const big = `${fx.media}/big.bin`;
  await Deno.writeFile(big, new Uint8Array(0));
  await Deno.truncate(big, 256 * 1024 * 1024);
  await using server = await startTestServer(["--media-dir", fx.media]);
  for (const path of ["clip.mp4", "empty.txt", "%C3%BCmlaut%20%C3%B1ame.txt"]) {
    const got = await get(`${server.origin}/media/${path}`);
    const head = await get(`${server.origin}/media/${path}`, { method: "HEAD" });
    assert.equal(head.res.status, 200);
    assert.deepEqual(stableHeaders(head.res), stableHeaders(got.res), path);
    assertFreshDate(head.res.headers.get("date"));
    assert.equal(head.bytes.byteLength, 0);
  }
  // HEAD of a 256 MiB file: the process reads far less than one chunk.
  const before = await bytesReadByProcess();
  const head = await get(`${server.origin}/media/big.bin`, { method: "HEAD" });
  const read = (await bytesReadByProcess()) - before;
  assert.equal(head.res.headers.get("content-length"), String(256 * 1024 * 1024));
  assert.ok(read < 64 * 1024, `HEAD read ${read} bytes`);
  // The same probe does see a GET read its 1 MiB from the file.
  const before2 = await bytesReadByProcess();
  const part = await get(`${server.origin}/media/big.bin`, {
    headers: { range: "bytes=0-1048575" },
  });
  assert.equal(part.bytes.byteLength, 1048576);
  const readByGet = (await bytesReadByProcess()) - before2;
  assert.ok(readByGet >= 1048576, `GET read ${readByGet} bytes`);
});

Deno.test("?download offers the file as an attachment, under its own name or the given one", async () => {
  await using fx = await makeMediaApp();
  const cases: [string, string][] = [
    ["clip.mp4", "inline; filename=clip.mp4"],
    ["with%20space.txt", 'inline; filename="with space.txt"'],
    [
      "%C3%BCmlaut%20%C3%B1ame.txt",
      `inline; filename="umlaut name.txt"; filename*=UTF-8''%C3%BCmlaut%20%C3%B1ame.txt`,
    ],
    ["clip.mp4?download", "attachment; filename=clip.mp4"],
    ["clip.mp4?download=", "attachment; filename=clip.mp4"],
    ["clip.mp4?download=other-name.ext", "attachment; filename=other-name.ext"],
    ["clip.mp4?download=my%20clip.mp4", 'attachment; filename="my clip.mp4"'],
    [
      "clip.mp4?download=caf%C3%A9.mp4",
      "attachment; filename=cafe.mp4; filename*=UTF-8''caf%C3%A9.mp4",
    ],
    [
      "clip.mp4?download=%E6%97%A5%E6%9C%AC.mp4",
      "attachment; filename=_.mp4; filename*=UTF-8''%E6%97%A5%E6%9C%AC.mp4",
    ],
    [
      "%C3%BCmlaut%20%C3%B1ame.txt?download",
      `attachment; filename="umlaut name.txt"; filename*=UTF-8''%C3%BCmlaut%20%C3%B1ame.txt`,
    ],
    // Only the last segment of a name with separators, and quotes escaped.
    ["clip.mp4?download=..%2F..%2Fetc%2Fpasswd", "attachment; filename=passwd"],
    ["clip.mp4?download=a%22b.mp4", 'attachment; filename="a\\"b.mp4"'],
  ];
  for (const [path, disposition] of cases) {
    const { res, bytes } = await call(fx, `/media/${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-disposition"), disposition, path);
    assert.ok(bytes.byteLength > 0);
  }
});

Deno.test("GET /media/ lists visible entries as JSON when Accept prefers it", async () => {
  await using fx = await makeMediaApp();
  const mtime = "2024-01-02T03:04:05.000Z";
  const { res, bytes } = await call(fx, `/media/`, {
    headers: { accept: "text/html;q=0.5, application/json" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.ok(varies(res, "accept"), `Vary: ${res.headers.get("vary")}`);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  // No dotfiles, no links that leave the folder or lead to a dotfile, no dangling link.
  assert.deepEqual(JSON.parse(text.decode(bytes)), {
    path: "/media/",
    entries: [
      { name: "docs", type: "directory", size: 0, mtime, href: "docs/" },
      { name: `<b>&'".txt`, type: "file", size: 5, mtime, href: "%3Cb%3E%26'%22.txt" },
      { name: "blob.xyz123", type: "file", size: 3, mtime, href: "blob.xyz123" },
      { name: "clip.mp4", type: "file", size: 1000, mtime, href: "clip.mp4" },
      { name: "empty.txt", type: "file", size: 0, mtime, href: "empty.txt" },
      { name: "inner-link.txt", type: "file", size: 14, mtime, href: "inner-link.txt" },
      { name: "notes.txt", type: "file", size: 14, mtime, href: "notes.txt" },
      {
        name: "ümlaut ñame.txt",
        type: "file",
        size: 8,
        mtime,
        href: "%C3%BCmlaut%20%C3%B1ame.txt",
      },
      { name: "with space.txt", type: "file", size: 7, mtime, href: "with%20space.txt" },
    ],
  });
});

Deno.test("GET /media/ lists entries as HTML by default, names escaped", async () => {
  await using fx = await makeMediaApp();
  for (const accept of [undefined, "text/html,application/xhtml+xml,*/*;q=0.8"]) {
    const { res, bytes } = await call(fx, `/media/`, {
      headers: accept === undefined ? {} : { accept },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.ok(varies(res, "accept"), `Vary: ${res.headers.get("vary")}`);
    const html = text.decode(bytes);
    assert.ok(html.includes("<title>Index of /media/</title>"));
    assert.ok(
      html.includes(
        `<tr><td><a href="%3Cb%3E%26'%22.txt">&#60;b&#62;&#38;&#39;&#34;.txt</a></td><td>5 B</td>` +
          `<td>2024-01-02T03:04:05.000Z</td></tr>`,
      ),
      html,
    );
    assert.ok(html.includes(`<a href="docs/">docs/</a></td><td>—</td>`));
    assert.ok(html.includes(`<a href="clip.mp4">clip.mp4</a></td><td>1000 B</td>`));
    assert.ok(html.includes(`<a href="%C3%BCmlaut%20%C3%B1ame.txt">ümlaut ñame.txt</a>`));
    assert.ok(!html.includes("<b>"), "an unescaped name");
    assert.ok(!html.includes(`href="../"`), "the root has no parent link");
    for (const hidden of [".env", ".git", "dot-link", "dotdir-link", "escape-link", "evil"]) {
      assert.ok(!html.includes(hidden), `${hidden} is listed`);
    }
  }
});

Deno.test("a folder without its trailing slash redirects; with it, it lists", async () => {
  await using fx = await makeMediaApp();
  for (
    const [path, location] of [
      ["/media", "/media/"],
      ["/media/docs", "/media/docs/"],
      ["/media/docs?x=1", "/media/docs/?x=1"],
      ["/stream-video/docs", "/stream-video/docs/"],
    ]
  ) {
    const { res, bytes } = await call(fx, `${path}`, { redirect: "manual" });
    assert.equal(res.status, 301, path);
    assert.equal(res.headers.get("location"), location);
    assert.equal(bytes.byteLength, 0);
  }
  const { res, bytes } = await call(fx, `/media/docs/`, {
    headers: { accept: "application/json" },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(text.decode(bytes)), {
    path: "/media/docs/",
    entries: [{
      name: "guide.txt",
      type: "file",
      size: 6,
      mtime: "2024-01-02T03:04:05.000Z",
      href: "guide.txt",
    }],
  });
  const html = text.decode((await call(fx, `/media/docs/`)).bytes);
  assert.ok(html.includes(`<tr><td><a href="../">../</a></td><td></td><td></td></tr>`));
});

Deno.test("a listing nobody accepts is 406", async () => {
  await using fx = await makeMediaApp();
  const { res, bytes } = await call(fx, `/media/`, { headers: { accept: "image/png" } });
  assert.equal(res.status, 406);
  assert.deepEqual(JSON.parse(text.decode(bytes)), {
    type: "about:blank",
    title: "Not Acceptable",
    status: 406,
    detail: "Listings are available as text/html or application/json",
  });
});

Deno.test("unknown paths are 404, other methods 405 with Allow, /healthz 200", async () => {
  await using fx = await makeMediaFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  const notFound = { type: "about:blank", title: "Not Found", status: 404 };
  for (
    const [path, detail] of [
      ["/nope", "Nothing is served at this path"],
      ["/mediafoo", "Nothing is served at this path"],
      ["/stream-video/", "Nothing is served at this path"],
      ["/media/missing.mp4", "No such file"],
      ["/media/docs/missing/deeper.txt", "No such file"],
      ["/media/notes.txt/inside", "No such file"],
    ]
  ) {
    const { res, bytes } = await get(`${server.origin}${path}`);
    assert.equal(res.status, 404, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.deepEqual(JSON.parse(text.decode(bytes)), { ...notFound, detail }, path);
  }
  for (const method of ["POST", "PUT", "DELETE"]) {
    const { res, bytes } = await get(`${server.origin}/media/clip.mp4`, { method });
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    assert.deepEqual(JSON.parse(text.decode(bytes)), {
      type: "about:blank",
      title: "Method Not Allowed",
      status: 405,
      detail: `${method} is not allowed here; use GET, HEAD`,
    });
  }
  const health = await get(`${server.origin}/healthz`);
  assert.equal(health.res.status, 200);
  assert.deepEqual(JSON.parse(text.decode(health.bytes)), { status: "ok" });
});

Deno.test("a FIFO in the media folder is a 404, not a request that hangs", async () => {
  const dir = await makeTempTree({ "a.txt": "a" });
  try {
    // mkfifo is coreutils, on every Linux this runs on: no mkfifo is a failure, not a pass.
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/pipe.mp4`] }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    await using server = await startTestServer(["--media-dir", dir]);
    const got = await get(`${server.origin}/media/pipe.mp4`, {
      signal: AbortSignal.timeout(3000),
    }).catch(async (error) => {
      // The server is stuck opening the FIFO: open its other end to free it.
      (await Deno.open(`${dir}/pipe.mp4`, { write: true })).close();
      throw error;
    });
    const { res, bytes } = got;
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(text.decode(bytes)).detail, "No such file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
