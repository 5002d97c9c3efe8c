/**
 * A first-match router over `URLPattern` pathnames that knows which methods
 * each path allows, so a wrong method is a 405 with `Allow`, not a 404.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";

/** A route handler: Web types in, a Response out. */
export type Handler = (
  req: Request,
  params: Record<string, string | undefined>,
) => Response | Promise<Response>;

/**
 * What a request to a route needs when access control is on (lib/access/):
 * nothing (`"public"`), or a scope, narrowed where the scope allows to the
 * resource the request touches (a media path such as `/films/a.mp4`, a table).
 */
export type RouteAccess =
  | "public"
  | {
    scope: string;
    resource?: (
      req: Request,
      params: Record<string, string | undefined>,
    ) => string | undefined | Promise<string | undefined>;
    /**
     * For `POST /sign`: whether the caller of `req` may have a link to this
     * (a job: only its owner's). Undefined: the scope is enough.
     */
    mayLink?: (
      req: Request,
      params: Record<string, string | undefined>,
    ) => boolean | Promise<boolean>;
  };

/** A registered route. */
export interface Route {
  /** A short stable name for logs and metrics, such as `media`. */
  name: string;
  methods: readonly string[];
  pattern: URLPattern;
  /** Matches a pathname: its groups, or null. The pattern's own shape compiled (see `compile`). */
  exec: (pathname: string) => Record<string, string | undefined> | null;
  handler: Handler;
  /**
   * Whether its GET bodies are streams worth limiting (files, exports):
   * they count against --max-streams and get the stall timeout and rate limit.
   */
  streaming: boolean;
  /**
   * Whether its HEAD answers cost work worth limiting too (an export counts
   * its rows for `X-Total-Rows`): they take a stream slot while answered.
   */
  admitHead: boolean;
  /** See {@linkcode RouteAccess}. */
  access: RouteAccess;
  /** A query parameter the URL must have for this route to match (`follow`). */
  query: string | undefined;
}

/**
 * One route as a `routes/<family>.ts` module declares it.
 *
 * @example
 * ```ts
 * const route: RouteSpec = { name: "healthz", methods: ["GET"], pathname: "/healthz", handler };
 * ```
 */
export interface RouteSpec {
  /** See {@linkcode Route.name}. */
  name: string;
  /** The methods it answers; GET brings HEAD with it. */
  methods: readonly string[];
  /** A URLPattern pathname, such as `/media{/:path(.*)}?`. */
  pathname: string;
  handler: Handler;
  /** See {@linkcode Route.streaming}. @default false */
  streaming?: boolean;
  /** See {@linkcode Route.admitHead}. @default false */
  admitHead?: boolean;
  /** See {@linkcode RouteAccess}. @default { scope: "*" }: only a token with every scope */
  access?: RouteAccess;
  /**
   * Matches only when the URL's query has this parameter, so that one path can
   * be two routes with their own names in logs and metrics. @default undefined
   */
  query?: string;
}

/** What a request path and method matched. */
export type Match =
  | { kind: "route"; route: Route; params: Record<string, string | undefined> }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

/** Up to the first character with a meaning in a URLPattern pathname. */
const LITERAL_START = /^[^:{}()*?+\\]*/;

/** `/lit{/:name(.*)}?`: the literal alone, or it, a slash and any rest. */
const OPTIONAL_REST = /^([^:{}()*?+\\]*)\{\/:(\w+)\(\.\*\)\}\?$/;

/** `/lit/:name(.+)`: the literal (ending in a slash) and a non-empty rest. */
const REQUIRED_REST = /^([^:{}()*?+\\]*\/):(\w+)\(\.\+\)$/;

/**
 * A matcher for a pathname pattern. Running a `URLPattern` costs about 10 µs a
 * request (it canonicalizes its input in Rust); the shapes our routes use —
 * a literal, or a literal and the rest of the path — are a string comparison,
 * with the same groups `URLPattern` gives for a pathname `new URL()` made
 * (tests/lib/http/router_test.ts compares them). Other shapes run the pattern.
 */
function compile(
  pathname: string,
  pattern: URLPattern,
): (path: string) => Record<string, string | undefined> | null {
  const literal = LITERAL_START.exec(pathname)![0];
  if (literal === pathname) return (path) => path === literal ? {} : null;
  const optional = OPTIONAL_REST.exec(pathname);
  if (optional !== null) {
    const [, lit, name] = optional;
    const slash = lit + "/";
    return (path) => {
      if (path === lit) return { [name]: undefined };
      return path.startsWith(slash) ? { [name]: path.slice(slash.length) } : null;
    };
  }
  const required = REQUIRED_REST.exec(pathname);
  if (required !== null) {
    const [, lit, name] = required;
    return (path) =>
      path.length > lit.length && path.startsWith(lit) ? { [name]: path.slice(lit.length) } : null;
  }
  return (path) =>
    path.startsWith(literal) ? pattern.exec({ pathname: path })?.pathname.groups ?? null : null;
}

/** Routes requests by pathname and method. */
export class Router {
  readonly #routes: Route[] = [];

  /**
   * Builds a router; the first route whose pattern and method match wins.
   *
   * @param routes The routes, in the order they are tried.
   */
  constructor(routes: Iterable<RouteSpec> = []) {
    for (const route of routes) this.add(route);
  }

  /**
   * Adds a route. GET routes answer HEAD too, as RFC 9110 §9.3.2 expects.
   *
   * @param route The route.
   * @returns This router, for chaining.
   */
  add(route: RouteSpec): this {
    const { methods } = route;
    const pattern = new URLPattern({ pathname: route.pathname });
    this.#routes.push({
      name: route.name,
      methods: methods.includes("GET") && !methods.includes("HEAD")
        ? [...methods, "HEAD"]
        : methods,
      pattern,
      exec: compile(route.pathname, pattern),
      handler: route.handler,
      streaming: route.streaming ?? false,
      admitHead: route.admitHead ?? false,
      access: route.access ?? { scope: "*" },
      query: route.query,
    });
    return this;
  }

  /**
   * Finds the route for a method and pathname.
   *
   * @param method The request method.
   * @param pathname The URL's pathname, still percent-encoded.
   * @param search The URL's query (`?a=1`), for routes that need a parameter.
   * @returns The match, a 405 with the allowed methods, or a 404.
   */
  match(method: string, pathname: string, search = ""): Match {
    const allow = new Set<string>();
    for (const route of this.#routes) {
      const params = route.exec(pathname);
      if (params === null) continue;
      if (route.query !== undefined && !new URLSearchParams(search).has(route.query)) continue;
      if (route.methods.includes(method)) return { kind: "route", route, params };
      route.methods.forEach((m) => allow.add(m));
    }
    return allow.size > 0
      ? { kind: "method-not-allowed", allow: [...allow] }
      : { kind: "not-found" };
  }
}

/**
 * Turns a failed match into the error to answer with.
 *
 * @param match A match that found no route.
 * @param method The request method.
 * @returns A 405 with `Allow` or a 404.
 */
export function unmatchedError(
  match: Exclude<Match, { kind: "route" }>,
  method: string,
): HttpError {
  if (match.kind === "method-not-allowed") {
    return new HttpError(405, `${method} is not allowed here; use ${match.allow.join(", ")}`, {
      headers: { allow: match.allow.join(", ") },
    });
  }
  return new HttpError(404, "Nothing is served at this path");
}
