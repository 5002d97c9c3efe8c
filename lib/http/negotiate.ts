/**
 * Content negotiation on `Accept`, through jshttp's `negotiator`.
 *
 * @module
 */

// @ts-types="npm:@types/negotiator@0.6.5"
import Negotiator from "negotiator";

/**
 * The media type the client prefers among `available`, by q-value and then
 * by the order given. A missing Accept means anything goes: the first wins.
 *
 * @param req The request.
 * @param available The types the server can produce, its favourite first.
 * @returns The chosen type, or undefined when none is acceptable.
 * @example
 * ```ts
 * const req = new Request("http://x/", { headers: { accept: "application/json" } });
 * preferredType(req, ["text/html", "application/json"]); // "application/json"
 * ```
 */
export function preferredType(req: Request, available: string[]): string | undefined {
  const negotiator = new Negotiator({ headers: { accept: req.headers.get("accept") ?? "*/*" } });
  return negotiator.mediaType(available);
}
