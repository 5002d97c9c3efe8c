/**
 * A mark on a response whose body is a small buffer already in memory, set
 * where the body is made (lib/files/) and read by the server's body meter
 * (lib/server/response_meter.ts). It lives here, below both, so that files
 * need not import the server.
 *
 * @module
 */

const inMemory = new WeakSet<Response>();

/**
 * Marks a response whose body is a small buffer already in memory: the meter
 * passes it through unwrapped, so Deno sends it without calling back into JS
 * (halving the cost of a 4 KiB range), and logs it as complete with its full
 * length once handed over. A client that leaves mid-way through a few KiB is
 * not worth a stream per request.
 *
 * @param response A response with a `Uint8Array` or string body of known length.
 * @returns The same response.
 * @example
 * ```ts
 * const res = markInMemory(new Response(new Uint8Array(4096), { status: 206 }));
 * ```
 */
export function markInMemory(response: Response): Response {
  inMemory.add(response);
  return response;
}

/**
 * Whether {@linkcode markInMemory} marked this response.
 *
 * @param response Any response.
 * @returns True for a marked one.
 */
export function isInMemory(response: Response): boolean {
  return inMemory.has(response);
}
