/**
 * The access stage of the request pipeline: lets a request through when its
 * route is public, it carries a valid signed link, or its bearer token has
 * the scope the route asks for; otherwise answers 401, 403 or 429.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { Route, Router } from "../http/router.ts";
import type { FailureCounter } from "./failure_counter.ts";
import { type Principal, setPrincipal } from "./principal.ts";
import { allows, type Need } from "./scopes.ts";
import { checkLink, parseTarget } from "./signed_link.ts";
import type { TokenFile } from "./token_file.ts";

/** Why a request was refused, for the metrics. */
export type RefusalReason =
  | "no-token"
  | "bad-token"
  | "no-scope"
  | "bad-signature"
  | "expired"
  | "blocked";

/** A refusal by the access stage. */
export class AccessError extends HttpError {
  readonly reason: RefusalReason;
  /** The token's name, when a known token lacked the scope: the log names it. */
  readonly user: string | undefined;
  constructor(
    status: number,
    reason: RefusalReason,
    message: string,
    options: ConstructorParameters<typeof HttpError>[2] & { user?: string } = {},
  ) {
    super(status, message, options);
    this.reason = reason;
    this.user = options.user;
  }
}

/** Options for {@linkcode AccessControl}. */
export interface AccessControlOptions {
  /** Known tokens; undefined when only signed links are accepted. */
  tokens?: TokenFile;
  /** The HMAC key of signed links; undefined when they are not accepted. */
  signingKey?: CryptoKey;
  /** Failed credentials per address. */
  failures: FailureCounter;
}

const REALM = 'Bearer realm="sluice"';

/** Decides who may make a request. */
export class AccessControl {
  readonly #options: AccessControlOptions;

  constructor(options: AccessControlOptions) {
    this.#options = options;
  }

  /**
   * Checks a request against its route.
   *
   * @param req The request.
   * @param route The route it matched, with its parameters.
   * @param client The client's address, for counting failures.
   * @returns Who made it (undefined on a public route).
   * @throws {AccessError} 401, 403 or 429.
   */
  async authorize(
    req: Request,
    route: { route: Route; params: Record<string, string | undefined> },
    client: string,
  ): Promise<Principal | undefined> {
    const { access } = route.route;
    if (access === "public") return undefined;
    const { failures, signingKey, tokens } = this.#options;
    const wait = failures.blockedFor(client);
    if (wait > 0) {
      throw new AccessError(
        429,
        "blocked",
        `Too many failed tokens or links from this address; retry in ${wait}s`,
        { headers: { "retry-after": String(wait) } },
      );
    }
    const url = new URL(req.url);
    if (signingKey !== undefined && url.searchParams.has("sig")) {
      return await this.#checkLink(req, url, signingKey, client);
    }
    const token = bearerToken(req.headers.get("authorization"));
    if (token === undefined) {
      throw new AccessError(
        401,
        "no-token",
        "This needs a token: send Authorization: Bearer TOKEN",
        {
          headers: { "www-authenticate": REALM },
        },
      );
    }
    const entry = await tokens?.find(token);
    if (entry === undefined) {
      failures.fail(client);
      throw new AccessError(401, "bad-token", "The token is not known (or was revoked)", {
        headers: { "www-authenticate": `${REALM}, error="invalid_token"` },
      });
    }
    const need: Need = {
      scope: access.scope,
      resource: await access.resource?.(req, route.params),
    };
    if (!allows(entry.scopes, need)) {
      throw new AccessError(
        403,
        "no-scope",
        `The token "${entry.name}" has no ${describe(need)} scope`,
        {
          headers: { "www-authenticate": `${REALM}, error="insufficient_scope"` },
          user: entry.name,
        },
      );
    }
    return { kind: "token", name: entry.name, scopes: entry.scopes };
  }

  /**
   * Whether a caller may GET a path and query: what `POST /sign` asks before
   * it signs one, so a link never gives more than its maker has.
   *
   * @param principal The caller.
   * @param router The server's routes.
   * @param target Such as `/media/films/a.mp4?download`.
   * @returns True when the caller's own token could fetch it.
   */
  async mayGet(principal: Principal | undefined, router: Router, target: string): Promise<boolean> {
    const url = parseTarget(target);
    const match = router.match("GET", url.pathname);
    if (match.kind !== "route") return false;
    const { access } = match.route;
    if (access === "public") return true;
    if (principal?.kind !== "token") return principal === undefined;
    const req = new Request(url);
    setPrincipal(req, principal);
    const resource = await access.resource?.(req, match.params);
    return allows(principal.scopes, { scope: access.scope, resource }) &&
      (await access.mayLink?.(req, match.params) ?? true);
  }

  async #checkLink(
    req: Request,
    url: URL,
    key: CryptoKey,
    client: string,
  ): Promise<Principal> {
    const checked = await checkLink(key, url);
    if (checked.kind === "bad-signature") {
      this.#options.failures.fail(client);
      throw new AccessError(
        403,
        "bad-signature",
        "The link's signature does not match its path and query",
      );
    }
    if (checked.kind === "expired") {
      const at = new Date(checked.expires * 1000).toISOString();
      throw new AccessError(403, "expired", `The link expired at ${at}; ask for a new one`, {
        extensions: { expires: checked.expires, expired_at: at },
      });
    }
    if (checked.kind !== "valid") throw new Error("unreachable");
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new AccessError(403, "bad-signature", "A signed link is good for GET and HEAD only");
    }
    return { kind: "link", expires: checked.expires };
  }
}

/** The token of `Authorization: Bearer TOKEN` (RFC 6750 §2.1), or undefined. */
function bearerToken(header: string | null): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+\/]+=*) *$/i.exec(header ?? "");
  return match?.[1] ?? (header === null ? undefined : "");
}

function describe(need: Need): string {
  return need.resource === undefined ? need.scope : `${need.scope}:${need.resource}`;
}
