import assert from "node:assert/strict";
import { parseByteranges, stableHeaders } from "../support/http.ts";
import { makeMediaApp, type MediaApp } from "../support/media_app.ts";
import { CLIP, FIXTURE_LAST_MODIFIED, fixtureEtag } from "../support/media_fixture.ts";

const text = new TextDecoder();

async function get(app: MediaApp, path: string, init?: RequestInit) {
  const res = await app.fetch(path, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The HTTP rules need no socket: each test calls the media route directly. */
async function withMedia(fn: (app: MediaApp, media: string) => Promise<void>) {
  await using app = await makeMediaApp();
  await fn(app, app.media);
}

const clip = (app: MediaApp, range: string, extra: HeadersInit = {}) =>
  get(app, "/media/clip.mp4", { headers: { range, ...extra } });

Deno.test("Range: one range is a 206 with Content-Range and exactly those bytes", async () => {
  await withMedia(async (app) => {
    const cases: [string, number, number][] = [
      ["bytes=0-99", 0, 99],
      ["bytes=0-0", 0, 0],
      ["bytes=500-599", 500, 599],
      ["bytes=990-", 990, 999],
      ["bytes=0-", 0, 999],
      ["bytes=-10", 990, 999],
      ["bytes=-1", 999, 999],
      // A suffix longer than the file is the whole file; an end past it is clamped.
      ["bytes=-5000", 0, 999],
      ["bytes=900-5000", 900, 999],
      ["bytes=999-999", 999, 999],
      // Unit names are case-insensitive, and whitespace around a range is allowed.
      ["BYTES=10-19", 10, 19],
      ["bytes= 10-19 ", 10, 19],
    ];
    for (const [range, start, end] of cases) {
      const { res, bytes } = await clip(app, range);
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/1000`, range);
      assert.equal(res.headers.get("content-length"), String(end - start + 1), range);
      assert.equal(res.headers.get("content-type"), "video/mp4");
      assert.equal(res.headers.get("etag"), fixtureEtag(1000));
      assert.equal(res.headers.get("last-modified"), FIXTURE_LAST_MODIFIED);
      assert.equal(res.headers.get("accept-ranges"), "bytes");
      assert.deepEqual(bytes, CLIP.slice(start, end + 1), range);
    }
  });
});

Deno.test("Range: overlapping and adjacent ranges are coalesced into one 206", async () => {
  await withMedia(async (app) => {
    for (
      const [range, start, end] of [
        ["bytes=0-9,10-19", 0, 19],
        ["bytes=0-9,5-14,15-19", 0, 19],
        ["bytes=100-199,150-", 100, 999],
        ["bytes=5-5,5-5", 5, 5],
      ] as const
    ) {
      const { res, bytes } = await clip(app, range);
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/1000`);
      assert.deepEqual(bytes, CLIP.slice(start, end + 1));
    }
  });
});

Deno.test("Range: several ranges are a multipart/byteranges 206 with exact CRLF framing", async () => {
  await withMedia(async (app) => {
    const { res, bytes } = await clip(app, "bytes=0-9, 500-504,-3");
    assert.equal(res.status, 206);
    const type = res.headers.get("content-type")!;
    assert.match(type, /^multipart\/byteranges; boundary=[0-9a-f]{32}$/);
    assert.equal(res.headers.get("content-range"), null);
    assert.equal(res.headers.get("content-length"), String(bytes.byteLength));
    const parts = parseByteranges(bytes, type);
    assert.deepEqual(
      parts.map((p) => p.headers),
      [
        { "content-type": "video/mp4", "content-range": "bytes 0-9/1000" },
        { "content-type": "video/mp4", "content-range": "bytes 500-504/1000" },
        { "content-type": "video/mp4", "content-range": "bytes 997-999/1000" },
      ],
    );
    assert.deepEqual(parts[0].body, CLIP.slice(0, 10));
    assert.deepEqual(parts[1].body, CLIP.slice(500, 505));
    assert.deepEqual(parts[2].body, CLIP.slice(997, 1000));
    // The exact wire form, byte for byte.
    const boundary = type.split("boundary=")[1];
    const head = (r: string) =>
      `--${boundary}\r\nContent-Type: video/mp4\r\nContent-Range: bytes ${r}/1000\r\n\r\n`;
    const latin1 = (b: Uint8Array) => String.fromCharCode(...b);
    assert.equal(
      latin1(bytes),
      head("0-9") + latin1(CLIP.slice(0, 10)) + "\r\n" + head("500-504") +
        latin1(CLIP.slice(500, 505)) + "\r\n" + head("997-999") + latin1(CLIP.slice(997)) +
        `\r\n--${boundary}--\r\n`,
    );
  });
});

Deno.test("Range: multipart parts are coalesced and keep the order they were asked in", async () => {
  await withMedia(async (app) => {
    const { res, bytes } = await clip(app, "bytes=50-59,0-9,5-14,60-64");
    assert.equal(res.status, 206);
    const parts = parseByteranges(bytes, res.headers.get("content-type")!);
    assert.deepEqual(parts.map((p) => p.headers["content-range"]), [
      "bytes 50-64/1000",
      "bytes 0-14/1000",
    ]);
    assert.deepEqual(parts[0].body, CLIP.slice(50, 65));
    assert.deepEqual(parts[1].body, CLIP.slice(0, 15));
  });
});

Deno.test("Range: multipart parts carry the file's own type, text or unknown", async () => {
  await withMedia(async (app) => {
    for (
      const [path, type] of [
        ["notes.txt", "text/plain; charset=utf-8"],
        ["blob.xyz123", "application/octet-stream"],
      ]
    ) {
      const { res, bytes } = await get(app, `/media/${path}`, {
        headers: { range: "bytes=0-0,2-2" },
      });
      assert.equal(res.status, 206);
      const parts = parseByteranges(bytes, res.headers.get("content-type")!);
      assert.deepEqual(parts.map((p) => p.headers["content-type"]), [type, type]);
    }
  });
});

Deno.test("Range: 50 ranges are served, 51 get the whole file as a 200", async () => {
  await withMedia(async (app) => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `${i * 10}-${i * 10 + 1}`);
    const fifty = await clip(app, `bytes=${list(50).join(",")}`);
    assert.equal(fifty.res.status, 206);
    const parts = parseByteranges(fifty.bytes, fifty.res.headers.get("content-type")!);
    assert.equal(parts.length, 50);
    assert.deepEqual(parts[49].body, CLIP.slice(490, 492));
    assert.equal(parts[49].headers["content-range"], "bytes 490-491/1000");

    const many = await clip(app, `bytes=${list(51).join(",")}`);
    assert.equal(many.res.status, 200);
    assert.equal(many.res.headers.get("content-range"), null);
    assert.equal(many.res.headers.get("content-length"), "1000");
    assert.deepEqual(many.bytes, CLIP);
  });
});

Deno.test("Range: ranges that add up to more than the file get the whole file as a 200", async () => {
  await withMedia(async (app) => {
    for (const range of ["bytes=0-,0-", "bytes=0-999,1-999", "bytes=-1000,0-0"]) {
      const { res, bytes } = await clip(app, range);
      assert.equal(res.status, 200, range);
      assert.equal(res.headers.get("content-range"), null);
      assert.deepEqual(bytes, CLIP);
    }
  });
});

Deno.test("Range: an unsatisfiable range is a 416 with Content-Range bytes */size", async () => {
  await withMedia(async (app) => {
    for (const range of ["bytes=1000-", "bytes=1000-2000", "bytes=5000-,2000-3000", "bytes=-0"]) {
      const { res, bytes } = await clip(app, range);
      assert.equal(res.status, 416, range);
      assert.equal(res.headers.get("content-range"), "bytes */1000");
      assert.equal(res.headers.get("content-type"), "application/problem+json");
      assert.deepEqual(JSON.parse(text.decode(bytes)), {
        type: "about:blank",
        title: "Range Not Satisfiable",
        status: 416,
        detail: "No requested range lies within the file's 1000 bytes",
      });
    }
    // One satisfiable range among unsatisfiable ones is served on its own.
    const mixed = await clip(app, "bytes=5000-,0-1");
    assert.equal(mixed.res.status, 206);
    assert.equal(mixed.res.headers.get("content-range"), "bytes 0-1/1000");
    assert.deepEqual(mixed.bytes, CLIP.slice(0, 2));
  });
});

Deno.test("Range: a malformed header or another unit is ignored with a full 200", async () => {
  await withMedia(async (app) => {
    const malformed = [
      "bytes=5-4",
      "bytes=abc",
      "bytes=",
      "bytes",
      "bytes=-",
      "bytes=0-9,x-",
      "bytes=0-9,5-4",
      "bytes=1.5-2",
      "bytes=0x10-0x20",
      "bytes 0-9",
      "items=0-5",
      "none",
      "=0-5",
    ];
    for (const range of malformed) {
      const { res, bytes } = await clip(app, range);
      assert.equal(res.status, 200, range);
      assert.equal(res.headers.get("content-range"), null, range);
      assert.equal(res.headers.get("content-length"), "1000");
      assert.deepEqual(bytes, CLIP, range);
    }
  });
});

Deno.test("If-Range with the current strong ETag or Last-Modified honours the Range", async () => {
  await withMedia(async (app) => {
    for (const ifRange of [fixtureEtag(1000), FIXTURE_LAST_MODIFIED]) {
      const { res, bytes } = await clip(app, "bytes=0-4", { "if-range": ifRange });
      assert.equal(res.status, 206, ifRange);
      assert.equal(res.headers.get("content-range"), "bytes 0-4/1000");
      assert.deepEqual(bytes, CLIP.slice(0, 5));
    }
  });
});

Deno.test("If-Range that does not match strongly sends the whole file as a 200", async () => {
  await withMedia(async (app) => {
    for (
      const ifRange of [
        `W/${fixtureEtag(1000)}`, // weak tags never match strongly
        '"3e8-0"',
        "Tue, 02 Jan 2024 03:04:04 GMT",
        "Tue, 02 Jan 2024 03:04:06 GMT",
        "not a validator",
      ]
    ) {
      const { res, bytes } = await clip(app, "bytes=0-4", { "if-range": ifRange });
      assert.equal(res.status, 200, ifRange);
      assert.equal(res.headers.get("content-range"), null);
      assert.deepEqual(bytes, CLIP, ifRange);
    }
  });
});

Deno.test("If-Range with the date of a file modified this second is not trusted", async () => {
  await withMedia(async (app, media) => {
    // RFC 9110 §8.8.2.2: a Last-Modified within a second of the response is weak.
    await Deno.writeFile(`${media}/fresh.mp4`, CLIP);
    const first = await get(app, `/media/fresh.mp4`);
    const lastModified = first.res.headers.get("last-modified")!;
    const { res, bytes } = await get(app, `/media/fresh.mp4`, {
      headers: { range: "bytes=0-4", "if-range": lastModified },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(bytes, CLIP);
    // The ETag still works for it.
    const byTag = await get(app, `/media/fresh.mp4`, {
      headers: { range: "bytes=0-4", "if-range": first.res.headers.get("etag")! },
    });
    assert.equal(byTag.res.status, 206);
    assert.deepEqual(byTag.bytes, CLIP.slice(0, 5));
  });
});

Deno.test("Range on an empty file: bytes=0- is 416 */0, a suffix range is an empty 200", async () => {
  await withMedia(async (app) => {
    for (const range of ["bytes=0-", "bytes=0-0", "bytes=-0"]) {
      const { res, bytes } = await get(app, `/media/empty.txt`, { headers: { range } });
      assert.equal(res.status, 416, range);
      assert.equal(res.headers.get("content-range"), "bytes */0");
      assert.equal(JSON.parse(text.decode(bytes)).status, 416);
    }
    for (const range of ["bytes=-5", "bytes=-1,-2", "items=0-1"]) {
      const { res, bytes } = await get(app, `/media/empty.txt`, { headers: { range } });
      assert.equal(res.status, 200, range);
      assert.equal(res.headers.get("content-length"), "0");
      assert.equal(res.headers.get("content-range"), null);
      assert.equal(bytes.byteLength, 0);
    }
  });
});

Deno.test("HEAD ignores Range (range handling is defined for GET only)", async () => {
  await withMedia(async (app) => {
    const plain = await get(app, `/media/clip.mp4`, { method: "HEAD" });
    for (const range of ["bytes=0-9", "bytes=0-1,5-6", "bytes=5000-"]) {
      const { res, bytes } = await get(app, `/media/clip.mp4`, {
        method: "HEAD",
        headers: { range },
      });
      assert.equal(res.status, 200, range);
      assert.deepEqual(stableHeaders(res), stableHeaders(plain.res));
      assert.equal(bytes.byteLength, 0);
    }
  });
});

Deno.test("Range works through the /stream-video alias and on names with spaces and unicode", async () => {
  await withMedia(async (app) => {
    const alias = await get(app, `/stream-video/clip.mp4`, { headers: { range: "bytes=1-3" } });
    assert.equal(alias.res.status, 206);
    assert.deepEqual(alias.bytes, CLIP.slice(1, 4));
    const unicode = await get(app, `/media/%C3%BCmlaut%20%C3%B1ame.txt`, {
      headers: { range: "bytes=-4" },
    });
    assert.equal(unicode.res.status, 206);
    assert.equal(unicode.res.headers.get("content-range"), "bytes 4-7/8");
    assert.equal(text.decode(unicode.bytes), "ode\n");
  });
});
