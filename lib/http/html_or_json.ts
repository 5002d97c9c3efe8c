/**
 * Listings and indexes, which come as a page for people or JSON for
 * programs, chosen by `Accept`.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";
import { preferredType } from "./negotiate.ts";

/** The two renderings; only the chosen one runs. */
export interface HtmlOrJson {
  html(): string | Promise<string>;
  json(): unknown;
}

/** What a listing is sent as. */
export type ListingType = "text/html" | "application/json";

/**
 * Picks HTML or JSON by `Accept` (HTML when both are equally welcome).
 *
 * @param req The request.
 * @param subject The start of the 406 message, such as `"Listings are"`.
 * @returns The type to answer with.
 * @throws {HttpError} 406 when the client accepts neither.
 */
export function listingType(req: Request, subject: string): ListingType {
  const type = preferredType(req, ["text/html", "application/json"]);
  if (type === undefined) {
    throw new HttpError(406, `${subject} available as text/html or application/json`);
  }
  return type as ListingType;
}

/**
 * A listing's response, with `Vary: Accept` and `Cache-Control: no-cache`:
 * a listing changes whenever the folder or database does.
 *
 * @param type From {@linkcode listingType}.
 * @param body The value to send as JSON, or the HTML page.
 * @returns The response.
 */
export function listingResponse(type: ListingType, body: unknown): Response {
  const headers = { "cache-control": "no-cache", vary: "accept" };
  if (type === "application/json") return Response.json(body, { headers });
  return new Response(String(body), {
    headers: { ...headers, "content-type": "text/html; charset=utf-8" },
  });
}

/**
 * Answers with HTML or JSON by `Accept`, rendering only the one chosen.
 *
 * @param req The request.
 * @param subject The start of the 406 message, such as `"Listings are"`.
 * @param render Makes the body; nothing is rendered for a 406.
 * @returns The response.
 * @throws {HttpError} 406 when the client accepts neither.
 * @example
 * ```ts
 * await htmlOrJson(req, "Listings are", { html: () => "<p>hi</p>", json: () => ({ hi: 1 }) });
 * ```
 */
export async function htmlOrJson(
  req: Request,
  subject: string,
  render: HtmlOrJson,
): Promise<Response> {
  const type = listingType(req, subject);
  return listingResponse(
    type,
    type === "application/json" ? await render.json() : await render.html(),
  );
}
