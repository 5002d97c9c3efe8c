import assert from "node:assert/strict";
import { compressResponse, variantEtag } from "../../lib/http/compression.ts";
import { makeMediaApp, type MediaApp, type MediaAppOptions } from "../support/media_app.ts";
import { openRaw, readAll, type StreamedResponse } from "../support/raw_stream.ts";
import { makeTempTree, startTestServer, type TestServer } from "../support/server.ts";

const encoder = new TextEncoder();
const LOG = encoder.encode(
  Array.from(
    { length: 3000 },
    (_, i) => `2026-11-24T12:00:${String(i % 60).padStart(2, "0")}Z INFO req=${i} GET /x 200\n`,
  ).join(""),
);
const JSON_TEXT = encoder.encode(
  JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` }))),
);
const SVG = encoder.encode(
  `<svg xmlns="http://www.w3.org/2000/svg">${'<rect width="1" height="1"/>'.repeat(100)}</svg>`,
);
/** Very compressible bytes, so only the type keeps them from being compressed. */
const CLIP = new Uint8Array(100_000).fill(7);

const FILES = {
  "app.log": LOG,
  "data.json": JSON_TEXT,
  "pic.svg": SVG,
  "clip.mp4": CLIP,
  "poster.png": CLIP,
  "small.txt": "hi\n",
};

/** Runs `fn` against a Sluice serving {@linkcode FILES}. */
async function withServer(fn: (server: TestServer) => Promise<void>, args: string[] = []) {
  const dir = await makeTempTree(FILES);
  try {
    await using server = await startTestServer(["--media-dir", dir, ...args]);
    await fn(server);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Runs `fn` against the media route serving {@linkcode FILES}, called
 * directly: the coding rules need no socket (its bodies arrive still coded).
 */
async function withMedia(fn: (app: MediaApp) => Promise<void>, options: MediaAppOptions = {}) {
  await using app = await makeMediaApp({ ...options, files: FILES });
  await fn(app);
}

/** A request to a server over a raw socket, or to the route directly. */
async function get(
  to: TestServer | MediaApp,
  target: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<StreamedResponse> {
  if ("origin" in to) return openRaw(to.origin, target, { method, headers });
  const res = await to.fetch(target, { method, headers });
  return { status: res.status, headers: res.headers, body: res.body ?? ReadableStream.from([]) };
}

function decoded(res: StreamedResponse, format: CompressionFormat): Promise<Uint8Array> {
  return readAll(res.body.pipeThrough(new DecompressionStream(format)));
}

Deno.test("GET a log file with Accept-Encoding: gzip sends it gzipped, exact once decoded", async () => {
  await withServer(async (server) => {
    const res = await get(server, "/media/app.log", { "accept-encoding": "gzip" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("vary"), "accept-encoding");
    assert.equal(res.headers.get("content-length"), null);
    assert.equal(res.headers.get("transfer-encoding"), "chunked");
    assert.match(res.headers.get("etag")!, /^W\/"[0-9a-f]+-[0-9a-f]+-gzip"$/);
    const wire = await readAll(res.body);
    assert.ok(wire.byteLength < LOG.byteLength / 5, `${wire.byteLength} of ${LOG.byteLength}`);
    const plain = await readAll(
      ReadableStream.from([wire]).pipeThrough(new DecompressionStream("gzip")),
    );
    assert.deepEqual(plain, LOG);
    // The access log counts the bytes that went on the wire.
    await server.waitForLog(new RegExp(`GET /media/app.log 200 ${wire.byteLength}B .* complete$`));
  });
});

Deno.test("deflate round-trips JSON and SVG exactly, and SVG stays sandboxed", async () => {
  await withMedia(async (server) => {
    for (const [name, bytes] of [["data.json", JSON_TEXT], ["pic.svg", SVG]] as const) {
      const res = await get(server, `/media/${name}`, { "accept-encoding": "deflate" });
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get("content-encoding"), "deflate", name);
      assert.equal(res.headers.get("vary"), "accept-encoding", name);
      assert.deepEqual(await decoded(res, "deflate"), bytes, name);
      if (name === "pic.svg") {
        assert.equal(res.headers.get("content-type"), "image/svg+xml");
        assert.equal(res.headers.get("content-security-policy"), "sandbox");
      }
    }
  });
});

Deno.test("Accept-Encoding q-values pick the coding; nothing acceptable gets identity, not 406", async () => {
  await withMedia(async (server) => {
    const table: [string | undefined, string | null][] = [
      ["gzip;q=0.5, br;q=0.9", "gzip"], // br is not offered by default
      ["deflate;q=0.9, gzip;q=0.5", "deflate"],
      ["gzip, deflate", "gzip"], // a tie goes to the server's order
      ["*", "gzip"],
      ["br", null],
      ["*;q=0", null],
      ["identity;q=0", null], // RFC 9110 §12.1: disregard the header rather than 406
      [undefined, null],
    ];
    for (const [accept, coding] of table) {
      const headers: Record<string, string> = accept === undefined
        ? {}
        : { "accept-encoding": accept };
      const res = await get(server, "/media/app.log", headers);
      assert.equal(res.status, 200, accept);
      assert.equal(res.headers.get("content-encoding"), coding, accept);
      assert.equal(res.headers.get("vary"), "accept-encoding", accept);
      if (coding === null) {
        assert.equal(res.headers.get("content-length"), String(LOG.byteLength), accept);
        assert.deepEqual(await readAll(res.body), LOG, accept);
      } else {
        assert.deepEqual(await decoded(res, coding as CompressionFormat), LOG, accept);
      }
    }
  });
});

Deno.test("the gzip and identity variants have their own ETags, and each 304s", async () => {
  await withMedia(async (server) => {
    const gz = { "accept-encoding": "gzip" };
    const plain = await get(server, "/media/app.log");
    const identityTag = plain.headers.get("etag")!;
    await plain.body.cancel();
    const coded = await get(server, "/media/app.log", gz);
    const gzipTag = coded.headers.get("etag")!;
    await coded.body.cancel();
    assert.match(identityTag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(gzipTag, variantEtag(identityTag, "gzip"));

    const cases: [string, Record<string, string>, number, string, string | null][] = [
      ["gzip tag, gzip request", { ...gz, "if-none-match": gzipTag }, 304, gzipTag, null],
      [
        "both tags, gzip request",
        { ...gz, "if-none-match": `${identityTag}, ${gzipTag}` },
        304,
        gzipTag,
        null,
      ],
      ["identity tag, identity request", { "if-none-match": identityTag }, 304, identityTag, null],
      ["identity tag, gzip request", { ...gz, "if-none-match": identityTag }, 200, gzipTag, "gzip"],
      ["gzip tag, identity request", { "if-none-match": gzipTag }, 200, identityTag, null],
    ];
    for (const [label, headers, status, etag, coding] of cases) {
      const res = await get(server, "/media/app.log", headers);
      assert.equal(res.status, status, label);
      assert.equal(res.headers.get("etag"), etag, label);
      assert.equal(res.headers.get("vary"), "accept-encoding", label);
      assert.equal(res.headers.get("content-encoding"), coding, label);
      if (status === 304) {
        assert.equal((await readAll(res.body)).byteLength, 0, label);
      } else if (coding === "gzip") {
        assert.deepEqual(await decoded(res, "gzip"), LOG, label);
      } else {
        assert.deepEqual(await readAll(res.body), LOG, label);
      }
    }
  });
});

Deno.test("Range gets an identity 206, and If-Range with the gzip tag never a coded 206", async () => {
  await withMedia(async (server) => {
    const plain = await get(server, "/media/app.log");
    const identityTag = plain.headers.get("etag")!;
    await plain.body.cancel();
    const gz = { "accept-encoding": "gzip", range: "bytes=0-99" };

    const partial = await get(server, "/media/app.log", gz);
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get("content-encoding"), null);
    assert.equal(partial.headers.get("content-range"), `bytes 0-99/${LOG.byteLength}`);
    assert.equal(partial.headers.get("etag"), identityTag);
    assert.equal(partial.headers.get("vary"), "accept-encoding");
    assert.deepEqual(await readAll(partial.body), LOG.slice(0, 100));

    const stale = await get(server, "/media/app.log", {
      ...gz,
      "if-range": variantEtag(identityTag, "gzip"),
    });
    assert.equal(stale.status, 200);
    assert.equal(stale.headers.get("content-encoding"), null);
    assert.equal(stale.headers.get("etag"), identityTag);
    assert.deepEqual(await readAll(stale.body), LOG);

    const fresh = await get(server, "/media/app.log", { ...gz, "if-range": identityTag });
    assert.equal(fresh.status, 206);
    assert.equal(fresh.headers.get("content-encoding"), null);
    assert.deepEqual(await readAll(fresh.body), LOG.slice(0, 100));
  });
});

Deno.test("HEAD carries the headers GET would, without a wrong Content-Length", async () => {
  await withMedia(async (server) => {
    const gz = { "accept-encoding": "gzip" };
    const getRes = await get(server, "/media/app.log", gz);
    await getRes.body.cancel();
    const head = await get(server, "/media/app.log", gz, "HEAD");
    assert.equal(head.status, 200);
    for (const name of ["content-encoding", "content-type", "etag", "vary", "last-modified"]) {
      assert.equal(head.headers.get(name), getRes.headers.get(name), name);
    }
    assert.equal(head.headers.get("content-length"), null);
    assert.equal((await readAll(head.body)).byteLength, 0, "a HEAD sent a body");
    const plainHead = await get(server, "/media/app.log", {}, "HEAD");
    assert.equal(plainHead.headers.get("content-encoding"), null);
    assert.equal(plainHead.headers.get("content-length"), String(LOG.byteLength));
    assert.equal((await readAll(plainHead.body)).byteLength, 0, "a HEAD sent a body");
  });
});

Deno.test("video, images and small files are never compressed", async () => {
  await withMedia(async (server) => {
    for (
      const [name, bytes] of [["clip.mp4", CLIP], ["poster.png", CLIP], [
        "small.txt",
        encoder.encode("hi\n"),
      ]] as const
    ) {
      const res = await get(server, `/media/${name}`, { "accept-encoding": "gzip, deflate, br" });
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get("content-encoding"), null, name);
      assert.equal(res.headers.get("vary"), null, name);
      assert.equal(res.headers.get("content-length"), String(bytes.byteLength), name);
      assert.deepEqual(await readAll(res.body), bytes, name);
    }
    const missing = await get(server, "/media/nope.txt", { "accept-encoding": "gzip" });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("content-encoding"), null);
    assert.equal(JSON.parse(new TextDecoder().decode(await readAll(missing.body))).status, 404);
  });
});

Deno.test("--compression off and Cache-Control: no-transform send identity", async () => {
  const cases: [string[], MediaAppOptions][] = [
    [["--compression", "off"], { compression: false }],
    [["--cache-control", "public, no-transform"], { cacheControl: "public, no-transform" }],
  ];
  for (const [args, options] of cases) {
    await withMedia(async (server) => {
      const res = await get(server, "/media/app.log", { "accept-encoding": "gzip" });
      assert.equal(res.status, 200, args.join(" "));
      assert.equal(res.headers.get("content-encoding"), null, args.join(" "));
      assert.equal(res.headers.get("vary"), null, args.join(" "));
      assert.match(res.headers.get("etag")!, /^"[0-9a-f]+-[0-9a-f]+"$/);
      assert.deepEqual(await readAll(res.body), LOG, args.join(" "));
    }, options);
  }
});

/** Reads decoded text until it contains `wanted`, failing after `ms`. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  wanted: string,
  ms = 5000,
): Promise<string> {
  let text = "";
  const deadline = Date.now() + ms;
  while (!text.includes(wanted)) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) =>
      timer = setTimeout(() => r("timeout"), deadline - Date.now())
    );
    const result = await Promise.race([reader.read(), timeout]);
    clearTimeout(timer);
    if (result === "timeout") {
      throw new Error(`"${wanted}" did not arrive within ${ms} ms; got "${text}"`);
    }
    if (result.done) throw new Error(`The body ended before "${wanted}"; got "${text}"`);
    text += result.value;
  }
  return text;
}

Deno.test("a slow generated stream arrives compressed line by line, not at its end", async () => {
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  let sentSecond = false;
  const handler = (req: Request) => {
    let step = 0;
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      async pull(c) {
        if (step++ === 0) return c.enqueue(encoder.encode("line 1\n"));
        await released; // The client must have line 1 before line 2 exists.
        sentSecond = true;
        c.enqueue(encoder.encode("line 2\n"));
        c.close();
      },
    });
    return compressResponse(req, new Response(body, { headers: { "content-type": "text/plain" } }));
  };
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const res = await openRaw(`http://127.0.0.1:${server.addr.port}`, "/", {
    headers: { "accept-encoding": "gzip" },
  });
  assert.equal(res.headers.get("content-encoding"), "gzip");
  const reader = res.body
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new TextDecoderStream())
    .getReader();
  try {
    assert.equal(await readUntil(reader, "line 1\n"), "line 1\n");
    assert.equal(sentSecond, false);
  } finally {
    release();
  }
  assert.equal(await readUntil(reader, "line 2\n"), "line 2\n");
  assert.equal((await reader.read()).done, true);
});

Deno.test("brotli, when offered, round-trips exactly through a real socket", async () => {
  const handler = (req: Request) =>
    compressResponse(
      req,
      new Response(LOG.slice(), { headers: { "content-type": "text/plain" } }),
      { encodings: ["gzip", "deflate", "br"] },
    );
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const res = await openRaw(`http://127.0.0.1:${server.addr.port}`, "/", {
    headers: { "accept-encoding": "gzip;q=0.5, br;q=0.9" },
  });
  assert.equal(res.headers.get("content-encoding"), "br");
  assert.deepEqual(await decoded(res, "brotli"), LOG);
});

Deno.test("GET /stream-data is compressed when the client accepts gzip", async () => {
  await withServer(async (server) => {
    const res = await get(server, "/stream-data?rows=5000", { "accept-encoding": "gzip" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(res.headers.get("vary"), "accept-encoding");
    const expected = Array.from({ length: 5000 }, (_, i) => `This is data row number ${i}\n`).join(
      "",
    );
    assert.equal(new TextDecoder().decode(await decoded(res, "gzip")), expected);
  });
});

Deno.test("a client that leaves mid-body cancels the source through the compressor", async () => {
  let cancelled: unknown;
  let sent = 0;
  const handler = (req: Request) => {
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull(c) {
        // Random hex barely compresses, so the socket fills and the source is pulled on demand.
        if (sent++ > 100_000) return c.close();
        c.enqueue(encoder.encode(crypto.getRandomValues(new Uint8Array(8192)).toHex()));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    return compressResponse(req, new Response(body, { headers: { "content-type": "text/plain" } }));
  };
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  const res = await openRaw(`http://127.0.0.1:${server.addr.port}`, "/", {
    headers: { "accept-encoding": "gzip" },
  });
  const reader = res.body.getReader();
  assert.equal((await reader.read()).done, false);
  await reader.cancel();
  for (let i = 0; i < 500 && cancelled === undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.notEqual(cancelled, undefined, "the source was never cancelled");
  assert.ok(sent < 100_000, `the source was read to its end (${sent} chunks)`);
});
