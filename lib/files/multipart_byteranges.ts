/**
 * A `multipart/byteranges` body (RFC 9110 §14.6) over an open file, with its
 * exact length known before the first byte is sent.
 *
 * @module
 */

import type { ByteRange } from "../http/range.ts";
import type { FileIdentity } from "./file_identity.ts";
import { pullStream } from "../streams/pull_stream.ts";
import { closeQuietly, fileChunks } from "./file_stream.ts";

/** A multipart body and the headers that describe it. */
export interface MultipartBody {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  contentLength: number;
}

const encoder = new TextEncoder();

/**
 * Frames several ranges of a file as `multipart/byteranges`, CRLF throughout,
 * each part with its own Content-Type and Content-Range. Reads each range on
 * demand and closes the file at the end or on cancel.
 *
 * @param file An open file; the body owns and closes it.
 * @param ranges The coalesced ranges, in the order to send them.
 * @param partType The file's Content-Type, repeated in each part.
 * @param size The file's total size, for Content-Range.
 * @param expected The stat the headers were made from; a change fails the body.
 * @returns The body with its Content-Type (boundary included) and length.
 */
export function multipartByteranges(
  file: Deno.FsFile,
  ranges: ByteRange[],
  partType: string,
  size: number,
  expected?: FileIdentity,
): MultipartBody {
  const boundary = crypto.randomUUID().replaceAll("-", "");
  const heads = ranges.map((r, i) =>
    encoder.encode(
      `${i === 0 ? "" : "\r\n"}--${boundary}\r\nContent-Type: ${partType}\r\n` +
        `Content-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`,
    )
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const contentLength = heads.reduce((n, h) => n + h.byteLength, 0) + tail.byteLength +
    ranges.reduce((n, r) => n + r.end - r.start + 1, 0);

  async function* parts(): AsyncGenerator<Uint8Array> {
    for (const [i, { start, end }] of ranges.entries()) {
      yield heads[i];
      yield* fileChunks(file, { start, end, expected, keepOpen: true });
    }
    yield tail;
  }
  const body = pullStream(parts(), () => closeQuietly(file));
  return {
    body,
    contentType: `multipart/byteranges; boundary=${boundary}`,
    contentLength,
  };
}
