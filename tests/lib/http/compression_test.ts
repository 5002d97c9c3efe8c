import assert from "node:assert/strict";
import {
  type Coding,
  compressResponse,
  decideCompression,
  isCompressibleType,
  negotiateEncoding,
  variantEtag,
} from "../../../lib/http/compression.ts";

const withBr: Coding[] = ["gzip", "deflate", "br"];

function request(headers: Record<string, string> = {}, method = "GET"): Request {
  return new Request("http://x/", { method, headers });
}

Deno.test("negotiateEncoding() follows q-values, then the server's order", () => {
  const table: [string | null, Coding[] | undefined, string][] = [
    [null, undefined, "identity"],
    ["", undefined, "identity"],
    ["gzip", undefined, "gzip"],
    ["GZIP", undefined, "gzip"],
    ["deflate", undefined, "deflate"],
    ["deflate, gzip", undefined, "gzip"],
    ["gzip, deflate, br", undefined, "gzip"],
    ["br", undefined, "identity"],
    ["br", withBr, "br"],
    ["gzip;q=0.5, br;q=0.9", undefined, "gzip"],
    ["gzip;q=0.5, br;q=0.9", withBr, "br"],
    ["deflate;q=1, gzip;q=0.8", undefined, "deflate"],
    ["*", undefined, "gzip"],
    ["*;q=0", undefined, "identity"],
    ["*;q=0, deflate", undefined, "deflate"],
    ["identity;q=0", undefined, "identity"],
    ["identity;q=0, gzip;q=0.1", undefined, "gzip"],
    ["gzip;q=0", undefined, "identity"],
    ["gzip;q=0.2, identity", undefined, "identity"],
    ["x-gzip", undefined, "identity"],
    ["gzip;q=abc", undefined, "identity"],
  ];
  for (const [header, encodings, expected] of table) {
    const req = request(header === null ? {} : { "accept-encoding": header });
    assert.equal(negotiateEncoding(req, encodings), expected, `${header} ${encodings ?? ""}`);
  }
});

Deno.test("isCompressibleType() takes text, JSON, XML and SVG, never media or archives", () => {
  const yes = [
    "text/plain; charset=utf-8",
    "text/csv; charset=utf-8",
    "text/html",
    "application/json",
    "application/x-ndjson",
    "application/jsonl",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
    "Application/JSON",
  ];
  const no = [
    null,
    "",
    "video/mp4",
    "image/png",
    "image/jpeg",
    "image/webp",
    "application/zip",
    "application/gzip",
    "application/octet-stream",
    "application/pdf",
    "application/jsonx",
    "audio/mpeg",
  ];
  for (const type of yes) assert.equal(isCompressibleType(type), true, String(type));
  for (const type of no) assert.equal(isCompressibleType(type), false, String(type));
});

Deno.test("variantEtag() gives a weak tag of its own, once", () => {
  assert.equal(variantEtag('"1f4-18c2"', "gzip"), 'W/"1f4-18c2-gzip"');
  assert.equal(variantEtag('W/"1f4-18c2"', "deflate"), 'W/"1f4-18c2-deflate"');
  assert.equal(variantEtag('W/"1f4-18c2-gzip"', "gzip"), 'W/"1f4-18c2-gzip"');
  assert.equal(variantEtag('"1f4-18c2-gzip"', "br"), 'W/"1f4-18c2-gzip-br"');
  assert.equal(variantEtag("not-a-tag", "gzip"), "not-a-tag");
});

Deno.test("decideCompression() applies the policy", () => {
  const text = { "content-type": "text/plain; charset=utf-8" };
  const gzip = { "accept-encoding": "gzip" };
  const table: [string, Request, number, Record<string, string>, string][] = [
    ["text, gzip accepted", request(gzip), 200, text, "encode:gzip"],
    ["text, nothing accepted", request(), 200, text, "identity"],
    ["HEAD like GET", request(gzip, "HEAD"), 200, text, "encode:gzip"],
    ["GET with Range", request({ ...gzip, range: "bytes=0-9" }), 200, text, "identity"],
    [
      "HEAD ignores Range",
      request({ ...gzip, range: "bytes=0-9" }, "HEAD"),
      200,
      text,
      "encode:gzip",
    ],
    ["206", request(gzip), 206, text, "identity"],
    ["404", request(gzip), 404, text, "identity"],
    ["video", request(gzip), 200, { "content-type": "video/mp4" }, "exempt"],
    ["no type", request(gzip), 200, {}, "exempt"],
    ["coded already", request(gzip), 200, { ...text, "content-encoding": "br" }, "exempt"],
    [
      "no-transform",
      request(gzip),
      200,
      { ...text, "cache-control": "public, no-transform" },
      "exempt",
    ],
    ["small", request(gzip), 200, { ...text, "content-length": "1023" }, "exempt"],
    ["large enough", request(gzip), 200, { ...text, "content-length": "1024" }, "encode:gzip"],
  ];
  for (const [label, req, status, headers, expected] of table) {
    const d = decideCompression(req, { status, headers: new Headers(headers) });
    assert.equal(d.kind === "encode" ? `encode:${d.coding}` : d.kind, expected, label);
  }
  const small = decideCompression(request(gzip), {
    status: 200,
    headers: new Headers({ ...text, "content-length": "100" }),
  }, { minSize: 50 });
  assert.deepEqual(small, { kind: "encode", coding: "gzip" });
});

const longText = Array.from({ length: 2000 }, (_, i) => `line ${i} of some compressible text\n`)
  .join("");

Deno.test("compressResponse() round-trips gzip, deflate and br exactly", async () => {
  for (const [coding, format] of [["gzip", "gzip"], ["deflate", "deflate"], ["br", "brotli"]]) {
    const res = await compressResponse(
      request({ "accept-encoding": coding }),
      new Response(longText, { headers: { "content-type": "text/plain", etag: '"abc"' } }),
      { encodings: withBr },
    );
    assert.equal(res.headers.get("content-encoding"), coding);
    assert.equal(res.headers.get("vary"), "accept-encoding");
    assert.equal(res.headers.get("etag"), `W/"abc-${coding}"`);
    assert.equal(res.headers.get("content-length"), null);
    const compressed = new Uint8Array(await res.arrayBuffer());
    assert.ok(compressed.byteLength < longText.length / 5, `${coding}: ${compressed.byteLength}`);
    const plain = ReadableStream.from([compressed])
      .pipeThrough(new DecompressionStream(format as CompressionFormat));
    assert.equal(await new Response(plain).text(), longText, coding);
  }
});

Deno.test("compressResponse() leaves short and exempt bodies as they are", async () => {
  const gzip = request({ "accept-encoding": "gzip" });
  const small = await compressResponse(gzip, Response.json({ status: "ok" }));
  assert.equal(small.headers.get("content-encoding"), null);
  assert.equal(small.headers.get("vary"), null);
  assert.equal(await small.text(), '{"status":"ok"}');

  const video = new Response(longText, { headers: { "content-type": "video/mp4" } });
  assert.equal(await compressResponse(gzip, video), video);
  await video.body?.cancel();

  const identity = await compressResponse(
    request({ "accept-encoding": "identity" }),
    new Response(longText, { headers: { "content-type": "text/plain", vary: "accept" } }),
  );
  assert.equal(identity.headers.get("content-encoding"), null);
  assert.equal(identity.headers.get("vary"), "accept, accept-encoding");
  assert.equal(await identity.text(), longText);
});

Deno.test("compressResponse() gives HEAD the headers of GET and no body", async () => {
  const res = await compressResponse(
    request({ "accept-encoding": "gzip" }, "HEAD"),
    new Response(null, {
      headers: { "content-type": "application/json", "content-length": "5000", etag: '"e"' },
    }),
  );
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), null);
  assert.equal(res.headers.get("etag"), 'W/"e-gzip"');
  assert.equal((await res.arrayBuffer()).byteLength, 0);
});

Deno.test("compressResponse() batches tiny writes into few flushes", async () => {
  const enc = new TextEncoder();
  const lines = Array.from({ length: 5000 }, (_, i) => enc.encode(`{"id":${i}}\n`));
  const res = await compressResponse(
    request({ "accept-encoding": "gzip" }),
    new Response(ReadableStream.from(lines), {
      headers: { "content-type": "application/x-ndjson" },
    }),
    { flushBytes: 16 * 1024, flushDelay: 1000 },
  );
  const chunks = await Array.fromAsync(res.body!);
  // 5000 lines of ~11 bytes: 4 batches of 16 KiB (the last one short), not 5000 flushes.
  assert.ok(chunks.length <= 8, `${chunks.length} chunks`);
  const plain = ReadableStream.from(chunks).pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(plain).text();
  assert.equal(text, lines.map((l) => new TextDecoder().decode(l)).join(""));
});

Deno.test("compressResponse() passes a failing body on as a failure", async () => {
  let pulls = 0;
  const failing = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulls++ < 3) c.enqueue(new TextEncoder().encode("x".repeat(2000)));
      else c.error(new Error("disk gone"));
    },
  });
  const res = await compressResponse(
    request({ "accept-encoding": "gzip" }),
    new Response(failing, { headers: { "content-type": "text/plain" } }),
  );
  assert.equal(res.headers.get("content-encoding"), "gzip");
  await assert.rejects(res.arrayBuffer(), /disk gone/);
});
