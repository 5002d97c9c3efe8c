/**
 * `GET /metrics`: Prometheus text exposition of Sluice's counters.
 *
 * @module
 */

import type { RouteSpec } from "../lib/http/router.ts";
import type { Metrics } from "../lib/server/metrics.ts";

/**
 * The `/metrics` route.
 *
 * @param metrics The server's metrics.
 * @returns The routes.
 */
export function metricsRoutes(metrics: Metrics): RouteSpec[] {
  return [{
    name: "metrics",
    methods: ["GET"],
    pathname: "/metrics",
    handler: metricsHandler(metrics),
    access: { scope: "metrics" },
  }];
}

/**
 * Builds the `/metrics` handler.
 *
 * @param metrics The server's metrics.
 * @returns A handler answering `text/plain; version=0.0.4`.
 */
export function metricsHandler(metrics: Metrics): () => Promise<Response> {
  return async () =>
    new Response(await metrics.render(), {
      headers: { "content-type": metrics.contentType, "cache-control": "no-store" },
    });
}
