/**
 * The body of a HEAD response whose GET streams with no known length.
 *
 * @module
 */

/**
 * A stream that ends at once. A `null` body would make Deno announce
 * `Content-Length: 0`, which is false for a HEAD whose GET has a body of
 * unknown length; an empty stream announces nothing.
 *
 * @returns A fresh, already closed byte stream.
 * @example
 * ```ts
 * new Response(emptyBody(), { headers: { "content-type": "text/csv" } });
 * ```
 */
export function emptyBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (controller) => controller.close() });
}
