/**
 * `GET /healthz`: answers at once, for load balancers and tests.
 *
 * @module
 */

import type { RouteSpec } from "../lib/http/router.ts";

/**
 * The `/healthz` route.
 *
 * @param state Read on every request.
 * @returns The routes.
 */
export function healthRoutes(state: HealthState): RouteSpec[] {
  return [{
    name: "healthz",
    methods: ["GET"],
    pathname: "/healthz",
    handler: healthHandler(state),
    // Load balancers ask without credentials.
    access: "public",
  }];
}

/** Reports whether the server takes new work. */
export interface HealthState {
  /** True once a shutdown has begun: the balancer should stop sending us work. */
  draining: boolean;
  /**
   * Checks the export database, when it is a server that can go away
   * (PostgreSQL); undefined, or resolving to undefined, leaves it out.
   */
  database?: () => Promise<"ok" | "unreachable" | undefined>;
}

/**
 * Builds the `/healthz` handler.
 *
 * - `{"status":"ok"}` 200; with PostgreSQL `{"status":"ok","database":"ok"}`.
 * - `{"status":"unavailable","database":"unreachable"}` 503 when PostgreSQL
 *   does not answer `SELECT 1` in time: exports would fail.
 * - `{"status":"draining"}` 503 (with `database` for PostgreSQL) while shutting down.
 *
 * @param state Read on every request.
 * @returns The handler.
 */
export function healthHandler(state: HealthState): () => Promise<Response> {
  return async () => {
    const database = await state.database?.();
    const status = state.draining ? "draining" : database === "unreachable" ? "unavailable" : "ok";
    return Response.json(
      database === undefined ? { status } : { status, database },
      { status: status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } },
    );
  };
}
