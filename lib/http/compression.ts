/**
 * Response compression: `Accept-Encoding` negotiation (RFC 9110 §12.5.3), the
 * policy for which responses are compressed, and the compressing body.
 *
 * Deno.serve no longer compresses on its own (2.9), and its compression made
 * a strong ETag weak but kept its opaque part, so the identity and gzip
 * variants matched each other in If-None-Match. Here a coded variant gets an
 * ETag of its own, and bodies are flushed in batches so streams stay live.
 *
 * @module
 */

// @ts-types="npm:@types/negotiator@0.6.5"
import Negotiator from "negotiator";
import { CoalesceStream } from "../streams/coalesce_stream.ts";
import { emptyBody } from "./empty_body.ts";
import { peekBody } from "../streams/peek_body.ts";

/** A content coding Sluice can apply (RFC 9110 §8.4.1). */
export type Coding = "gzip" | "deflate" | "br";

const FORMATS: Record<Coding, CompressionFormat> = {
  gzip: "gzip",
  deflate: "deflate", // zlib-wrapped, as §8.4.1.2 defines "deflate"
  br: "brotli",
};

/** Options for {@linkcode compressResponse}. */
export interface CompressionOptions {
  /**
   * Codings offered, the server's favourite first (it wins ties in q-value).
   * Brotli is left out by default: it ran at under half gzip's speed and came
   * out no smaller on log lines or NDJSON (bench/compression_throughput.ts).
   * @default ["gzip", "deflate"]
   */
  encodings?: readonly Coding[];
  /** Bodies known to be shorter than this are sent as they are. @default 1024 */
  minSize?: number;
  /** Bytes gathered before each flush of the compressor. @default 65536 */
  flushBytes?: number;
  /** Longest a gathered byte waits for more before a flush, in ms. @default 10 */
  flushDelay?: number;
}

/** What {@linkcode decideCompression} chose for a response. */
export type CompressionDecision =
  /** Not subject to negotiation: sent as is, without Vary. */
  | { kind: "exempt" }
  /** Negotiable, but sent as is this time: Vary: Accept-Encoding. */
  | { kind: "identity" }
  /** Sent compressed with `coding`. */
  | { kind: "encode"; coding: Coding };

const DEFAULT_ENCODINGS: readonly Coding[] = ["gzip", "deflate"];

/**
 * Textual types. mime-db's `compressible` flag is not used: it says yes to
 * application/octet-stream and knows nothing of application/x-ndjson.
 */
const COMPRESSIBLE =
  /^(?:text\/[^;]+|application\/(?:json|x-ndjson|jsonl|javascript|ecmascript|xml|yaml|x-yaml)|[a-z]+\/[^;]+\+(?:json|xml))\s*(?:;|$)/i;

/** negotiator 1.x takes `preferred` (the server's order for ties); @types/negotiator 0.6 predates it. */
interface EncodingNegotiator {
  encoding(available: string[], options: { preferred: readonly string[] }): string | undefined;
}

/**
 * The coding to send, by q-value, then the server's order. With no
 * Accept-Encoding the answer is identity: §12.5.3 would allow any coding, but
 * such a client (curl without `--compressed`) may not decode one. When nothing
 * is acceptable, not even identity (`*;q=0`), the header is disregarded and
 * identity sent (§12.1 allows that instead of a 406), so a file stays reachable.
 *
 * @param req The request.
 * @param encodings The codings offered, favourite first. @default ["gzip", "deflate"]
 * @returns The coding, or "identity".
 * @example
 * ```ts
 * const req = new Request("http://x/", { headers: { "accept-encoding": "gzip;q=0.5, br;q=0.9" } });
 * negotiateEncoding(req); // "gzip"
 * ```
 */
export function negotiateEncoding(
  req: Request,
  encodings: readonly Coding[] = DEFAULT_ENCODINGS,
): Coding | "identity" {
  const header = req.headers.get("accept-encoding");
  if (header === null) return "identity";
  const negotiator = new Negotiator({ headers: { "accept-encoding": header } });
  const chosen = (negotiator as unknown as EncodingNegotiator)
    .encoding([...encodings, "identity"], { preferred: encodings });
  return (chosen ?? "identity") as Coding | "identity";
}

/** Whether a Content-Type is text that compresses well (`text/*`, JSON, XML, SVG, NDJSON...). */
export function isCompressibleType(contentType: string | null): boolean {
  return contentType !== null && COMPRESSIBLE.test(contentType.trim());
}

/**
 * The ETag of a coded variant: weak, since only the meaning is the same on
 * every request (the bytes depend on flush points and the zlib build), and
 * with its own opaque part, so it never matches the identity tag (RFC 9110
 * §8.8.3.3). Applying it twice changes nothing.
 *
 * @param etag The identity representation's tag.
 * @param coding The coding.
 * @returns The variant's tag.
 * @example
 * ```ts
 * variantEtag('"1f4-18c2"', "gzip"); // 'W/"1f4-18c2-gzip"'
 * ```
 */
export function variantEtag(etag: string, coding: Coding): string {
  const opaque = etag.startsWith("W/") ? etag.slice(2) : etag;
  if (!/^"[^"]*"$/.test(opaque)) return etag;
  const suffix = `-${coding}"`;
  return `W/${opaque.endsWith(suffix) ? opaque : opaque.slice(0, -1) + suffix}`;
}

function hasNoTransform(cacheControl: string | null): boolean {
  return cacheControl !== null && /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(cacheControl);
}

/**
 * The compression policy. A response is negotiable when its type is
 * compressible, it has no Content-Encoding, no `Cache-Control: no-transform`
 * (RFC 9111 §5.2.2.6) and no Content-Length below `minSize`. It is encoded
 * only as a 200 (never a 206, 304 or error), never for a GET with Range (a
 * range is of the identity representation, so no 206 of coded bytes can
 * exist), and with the coding the client prefers.
 *
 * @param req The request.
 * @param res The response, or what it will be (serveFile asks before building it).
 * @param options The codings offered and the size floor.
 * @returns The decision.
 */
export function decideCompression(
  req: Request,
  res: Pick<Response, "status" | "headers">,
  options: CompressionOptions = {},
): CompressionDecision {
  const { minSize = 1024, encodings = DEFAULT_ENCODINGS } = options;
  const headers = res.headers;
  if (!isCompressibleType(headers.get("content-type"))) return { kind: "exempt" };
  if (headers.has("content-encoding")) return { kind: "exempt" };
  if (hasNoTransform(headers.get("cache-control"))) return { kind: "exempt" };
  const length = headers.get("content-length");
  if (length !== null && Number(length) < minSize) return { kind: "exempt" };
  if (res.status !== 200) return { kind: "identity" };
  if (req.method === "GET" && req.headers.has("range")) return { kind: "identity" };
  const coding = negotiateEncoding(req, encodings);
  return coding === "identity" ? { kind: "identity" } : { kind: "encode", coding };
}

function appendVary(headers: Headers, name: string): void {
  const vary = headers.get("vary");
  if (vary === null) return headers.set("vary", name);
  const names = vary.split(",").map((v) => v.trim().toLowerCase());
  if (!names.includes(name) && !names.includes("*")) headers.set("vary", `${vary}, ${name}`);
}

/**
 * Applies {@linkcode decideCompression} to a response: adds Vary, and when
 * encoding, drops Content-Length, sets Content-Encoding and the variant's
 * ETag, and compresses the body with a sync flush per batch of `flushBytes`
 * (or after `flushDelay` ms of quiet), so a slow stream arrives as it is
 * made. A body of unknown length is peeked at first, so a short string
 * body stays as it is. HEAD gets the headers GET would get.
 *
 * @param req The request.
 * @param res The handler's response.
 * @param options Codings, size floor and flush points.
 * @returns The response to send.
 * @example
 * ```ts
 * Deno.serve((req) => compressResponse(req, new Response("a long text...")));
 * ```
 */
export async function compressResponse(
  req: Request,
  res: Response,
  options: CompressionOptions = {},
): Promise<Response> {
  const { minSize = 1024, flushBytes, flushDelay } = options;
  const decision = decideCompression(req, res, options);
  if (decision.kind === "exempt") return res;
  if (res.body === null && req.method !== "HEAD" && decision.kind === "encode") return res;
  const init = {
    status: res.status,
    statusText: res.statusText,
    headers: new Headers(res.headers),
  };
  let body = res.body;
  if (body !== null && !res.headers.has("content-length")) {
    const peeked = await peekBody(body, minSize);
    body = peeked.body;
    if (peeked.complete && peeked.size < minSize) return new Response(body, init);
  }
  appendVary(init.headers, "accept-encoding");
  if (decision.kind === "identity") return new Response(body, init);
  init.headers.delete("content-length");
  init.headers.set("content-encoding", decision.coding);
  const etag = init.headers.get("etag");
  if (etag !== null) init.headers.set("etag", variantEtag(etag, decision.coding));
  if (req.method === "HEAD" || body === null) {
    await body?.cancel();
    return new Response(emptyBody(), init);
  }
  const compressed = body
    .pipeThrough(new CoalesceStream({ bytes: flushBytes, delay: flushDelay }))
    .pipeThrough(new CompressionStream(FORMATS[decision.coding]));
  return new Response(compressed, init);
}
