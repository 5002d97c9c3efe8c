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

/**
 * Who owns what a request creates (jobs): the token's name, or with access
 * control off, the fallback (the client's address).
 *
 * @param req The request.
 * @param fallback The owner when no token made it.
 * @returns The owner.
 */
export function ownerOf(req: Request, fallback: string): string {
  const principal = principals.get(req);
  return principal?.kind === "token" ? `token:${principal.name}` : fallback;
}

/**
 * Whether a request may see and change a thing `owner` made: anyone with
 * access control off, a token with `*`, or the token that made it. A signed
 * link is a GET of one path its maker chose.
 *
 * @param req The request.
 * @param owner The thing's owner, as {@linkcode ownerOf} gave it.
 * @returns True when it may.
 */
export function mayUse(req: Request, owner: string): boolean {
  const principal = principals.get(req);
  if (principal === undefined || principal.kind === "link") return true;
  return principal.scopes.some((s) => s.kind === "*") || owner === `token:${principal.name}`;
}
