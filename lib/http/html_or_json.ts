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

/**
 * Answers with HTML or JSON by `Accept` (HTML when both are equally
 * welcome), with `Vary: Accept` and `Cache-Control: no-cache`: a listing
 * changes whenever the folder or database does.
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
  const type = preferredType(req, ["text/html", "application/json"]);
  if (type === undefined) {
    throw new HttpError(406, `${subject} available as text/html or application/json`);
  }
  const headers = { "cache-control": "no-cache", vary: "accept" };
  if (type === "application/json") return Response.json(await render.json(), { headers });
  return new Response(await render.html(), {
    headers: { ...headers, "content-type": "text/html; charset=utf-8" },
  });
}
