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

/** A registered route. */
export interface Route {
  /** A short stable name for logs and metrics, such as `media`. */
  name: string;
  methods: readonly string[];
  pattern: URLPattern;
  /**
   * The pattern's literal start: a pathname that does not start with it cannot
   * match, which is far cheaper to check than running the pattern.
   */
  prefix: string;
  handler: Handler;
  /**
   * Whether its GET bodies are streams worth limiting (files, exports):
   * they count against --max-streams and get the stall timeout and rate limit.
   */
  streaming: boolean;
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
}

/** What a request path and method matched. */
export type Match =
  | { kind: "route"; route: Route; params: Record<string, string | undefined> }
  | { kind: "method-not-allowed"; allow: string[] }
  | { kind: "not-found" };

/** Up to the first character with a meaning in a URLPattern pathname. */
const LITERAL_START = /^[^:{}()*?+\\]*/;

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
    this.#routes.push({
      name: route.name,
      methods: methods.includes("GET") && !methods.includes("HEAD")
        ? [...methods, "HEAD"]
        : methods,
      pattern: new URLPattern({ pathname: route.pathname }),
      prefix: LITERAL_START.exec(route.pathname)![0],
      handler: route.handler,
      streaming: route.streaming ?? false,
    });
    return this;
  }

  /**
   * Finds the route for a method and pathname.
   *
   * @param method The request method.
   * @param pathname The URL's pathname, still percent-encoded.
   * @returns The match, a 405 with the allowed methods, or a 404.
   */
  match(method: string, pathname: string): Match {
    const allow = new Set<string>();
    for (const route of this.#routes) {
      if (!pathname.startsWith(route.prefix)) continue;
      const result = route.pattern.exec({ pathname });
      if (result === null) continue;
      if (route.methods.includes(method)) {
        return { kind: "route", route, params: result.pathname.groups };
      }
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
