/**
 * `GET /healthz`: answers at once, for load balancers and tests.
 *
 * @module
 */

/** Reports whether the server takes new work. */
export interface HealthState {
  /** True once a shutdown has begun: the balancer should stop sending us work. */
  draining: boolean;
}

/**
 * Builds the `/healthz` handler.
 *
 * @param state Read on every request.
 * @returns 200 `{"status":"ok"}`, or 503 `{"status":"draining"}` while shutting down.
 */
export function healthHandler(state: HealthState): () => Response {
  return () =>
    Response.json(
      { status: state.draining ? "draining" : "ok" },
      { status: state.draining ? 503 : 200, headers: { "cache-control": "no-store" } },
    );
}
