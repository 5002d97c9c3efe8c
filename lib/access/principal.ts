/**
 * Who made a request, once access control has let it in: the token's name
 * and scopes, or a signed link. Routes that own things (jobs) read it to
 * know whose they are.
 *
 * @module
 */

import type { Scope } from "./scopes.ts";

/** The caller of a request. */
export type Principal =
  | { kind: "token"; name: string; scopes: readonly Scope[] }
  | { kind: "link"; expires: number };

const principals = new WeakMap<Request, Principal>();

/**
 * Records who made a request (the access stage does, before the route runs).
 *
 * @param req The request.
 * @param principal Who made it.
 */
export function setPrincipal(req: Request, principal: Principal): void {
  principals.set(req, principal);
}

/**
 * Who made a request.
 *
 * @param req The request as the route got it.
 * @returns The caller, or undefined when access control is off.
 * @example
 * ```ts
 * const owner = principalOf(req)?.kind === "token" ? principalOf(req).name : undefined;
 * ```
 */
export function principalOf(req: Request): Principal | undefined {
  return principals.get(req);
}

/**
 * The name the access log shows: the token's, `#link` for a signed link
 * (token names cannot start with `#`), `-` for nobody.
 *
 * @param principal The caller.
 * @returns The log's user field.
 */
export function logName(principal: Principal | undefined): string {
  return principal === undefined ? "-" : principal.kind === "token" ? principal.name : "#link";
}
