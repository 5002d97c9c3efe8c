/**
 * Who sent a request, as the request pipeline worked it out (the TCP peer, or
 * the address a trusted proxy named), for handlers that only see the Request.
 *
 * @module
 */

const clients = new WeakMap<Request, string>();

/**
 * Records the client behind a request (the pipeline does, for every request).
 *
 * @param req The request.
 * @param client Its address.
 */
export function setRequestClient(req: Request, client: string): void {
  clients.set(req, client);
}

/**
 * The client behind a request: its address, or `"unknown"` for a request
 * that did not come through the pipeline.
 *
 * @param req The request.
 * @returns The address.
 * @example
 * ```ts
 * requestClient(req); // "127.0.0.1"
 * ```
 */
export function requestClient(req: Request): string {
  return clients.get(req) ?? "unknown";
}
