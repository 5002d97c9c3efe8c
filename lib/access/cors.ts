/**
 * Cross-origin rules: browser apps on the `--cors-origin` list get the CORS
 * headers they need (and answers to their preflights); other origins get no
 * CORS headers at all, and may not send anything but GET and HEAD, so a page
 * on another site cannot drive state changes here (CSRF).
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

/** What a browser app may read beyond the CORS-safelisted response headers. */
export const EXPOSED_HEADERS = [
  "Content-Range",
  "Content-Length",
  "Content-Disposition",
  "Accept-Ranges",
  "ETag",
  "X-Total-Rows",
  "Repr-Digest",
  "X-Request-Id",
  "Retry-After",
  "WWW-Authenticate",
].join(", ");
const ALLOWED_HEADERS = "Authorization, Range, If-Range, If-None-Match, If-Match, " +
  "If-Modified-Since, Content-Type, X-Request-Id, Accept";
const ALLOWED_METHODS = "GET, HEAD, POST, DELETE";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The CORS policy of one server. */
export class Cors {
  readonly #origins: ReadonlySet<string>;

  /**
   * @param origins Allowed origins, such as `https://app.example.com`.
   */
  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins);
  }

  /**
   * The answer to a CORS preflight, or undefined when the request is not one.
   *
   * @param req An `OPTIONS` request.
   * @returns 204 with the CORS headers for an allowed origin, 403 otherwise.
   */
  preflight(req: Request): Response | undefined {
    const origin = req.headers.get("origin");
    if (
      req.method !== "OPTIONS" || origin === null ||
      !req.headers.has("access-control-request-method")
    ) return undefined;
    if (!this.#origins.has(origin)) {
      throw new HttpError(403, "This origin may not call Sluice from a browser (--cors-origin)");
    }
    return new Response(null, {
      status: 204,
      headers: {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
        vary: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
      },
    });
  }

  /**
   * Refuses a state-changing request sent by a page of another site that is
   * not on the list: browsers send those with no preflight for simple bodies.
   *
   * @param req The request.
   * @throws {HttpError} 403 for a cross-site POST, DELETE….
   */
  checkWrite(req: Request): void {
    if (SAFE_METHODS.has(req.method)) return;
    const origin = req.headers.get("origin");
    if (origin !== null && this.#origins.has(origin)) return;
    const site = req.headers.get("sec-fetch-site");
    const crossSite = site !== null
      ? site !== "same-origin" && site !== "none"
      : origin !== null && hostOf(origin) !== req.headers.get("host");
    if (crossSite) {
      throw new HttpError(403, "Requests that change state may not come from another site");
    }
  }

  /**
   * Adds the CORS headers for an allowed origin, removes any for another.
   *
   * @param req The request.
   * @param res Its response (headers mutable).
   * @returns The same response.
   */
  apply(req: Request, res: Response): Response {
    const origin = req.headers.get("origin");
    if (this.#origins.size > 0) res.headers.append("vary", "Origin");
    if (origin === null) return res;
    if (this.#origins.has(origin)) {
      res.headers.set("access-control-allow-origin", origin);
      res.headers.set("access-control-expose-headers", EXPOSED_HEADERS);
    } else {
      for (const name of [...res.headers.keys()]) {
        if (name.startsWith("access-control-")) res.headers.delete(name);
      }
    }
    return res;
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
