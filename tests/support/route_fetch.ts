/**
 * A route family without a socket: a `Request` goes through the router to the
 * route's handler, a thrown error becomes its problem response, and the body
 * is compressed as the request pipeline would (lib/server/request_pipeline.ts),
 * as std's file_server_test calls serveDir(). What needs a connection
 * (disconnects, stalls, drain, the access log, TLS, the browser, Date) uses
 * startTestServer() instead.
 *
 * @module
 */

import { type CompressionOptions, compressResponse } from "../../lib/http/compression.ts";
import { errorResponse } from "../../lib/http/http_error.ts";
import { Router, type RouteSpec, unmatchedError } from "../../lib/http/router.ts";

/**
 * Answers a request for `path` (such as `/media/clip.mp4`) as Sluice would,
 * but for what the pipeline adds after the route (X-Request-Id, metering) and
 * the transport (Date, chunked framing).
 */
export type RouteFetch = (path: string, init?: RequestInit) => Promise<Response>;

/**
 * Serves `routes` to direct calls.
 *
 * @param routes A family's route list, such as `pageRoutes()`.
 * @param compression What `--compression on` gives the pipeline (`{}`); undefined for off.
 * @returns The fetch-like function.
 */
export function routeFetch(
  routes: RouteSpec[],
  compression: CompressionOptions | undefined,
): RouteFetch {
  const router = new Router(routes);
  return async (path, init) => {
    const req = new Request(new URL(path, "http://sluice.test"), init);
    const match = router.match(req.method, new URL(req.url).pathname);
    let res: Response;
    try {
      if (match.kind !== "route") throw unmatchedError(match, req.method);
      res = await match.route.handler(req, match.params);
    } catch (error) {
      res = errorResponse(error);
    }
    if (compression !== undefined) res = await compressResponse(req, res, compression);
    // A HEAD response has headers only, as on the wire.
    if (req.method === "HEAD") {
      await res.body?.cancel();
      return new Response(null, res);
    }
    return res;
  };
}
