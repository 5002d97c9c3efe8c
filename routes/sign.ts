/**
 * `POST /sign`: signed links for a list of paths, for browser apps and the
 * page (a `<video>` or a download manager cannot send a token). A caller gets
 * links only for what its own token may GET.
 *
 * @module
 */

import { HttpError } from "../lib/http/http_error.ts";
import type { Handler, RouteSpec } from "../lib/http/router.ts";
import { signLink } from "../lib/access/signed_link.ts";

/** Options for {@linkcode signHandler}. */
export interface SignOptions {
  /** The signing key; undefined when the server has none (--signing-key-file). */
  key?: CryptoKey;
  /** Whether the caller of `req` may GET `target` itself. */
  mayGet: (req: Request, target: string) => Promise<boolean>;
}

/** Body bytes read at most: a list of paths, not an upload. */
const MAX_BODY = 64 * 1024;
const MAX_PATHS = 1000;
const DEFAULT_TTL = 3600;
/** A week: a link is a bearer credential, so it should not outlive its purpose by much. */
const MAX_TTL = 7 * 24 * 3600;

/**
 * The `/sign` route (scope `sign`).
 *
 * @param options The key and the caller's own access.
 * @returns The routes.
 */
export function signRoutes(options: SignOptions): RouteSpec[] {
  return [{
    name: "sign",
    methods: ["POST"],
    pathname: "/sign",
    handler: signHandler(options),
    access: { scope: "sign" },
  }];
}

/**
 * Builds the `/sign` handler: `{"paths": ["/media/a.mp4"], "ttl": 3600}` in,
 * `{"links": [{"path", "url", "expires"}]}` out, one link per path in order.
 *
 * @param options The key and the caller's own access.
 * @returns The handler.
 */
export function signHandler(options: SignOptions): Handler {
  return async (req) => {
    const { key } = options;
    if (key === undefined) {
      throw new HttpError(404, "Signed links are off: start Sluice with --signing-key-file");
    }
    const { paths, ttl } = parseBody(await readJson(req));
    const expires = Math.floor(Date.now() / 1000) + ttl;
    const links = [];
    for (const path of paths) {
      let allowed: boolean;
      try {
        allowed = await options.mayGet(req, path);
      } catch (error) {
        // A path the route itself refuses (bad percent-encoding, a dotfile…).
        if (error instanceof HttpError || error instanceof TypeError) {
          throw new HttpError(400, `Cannot sign ${JSON.stringify(path)}: ${error.message}`);
        }
        throw error;
      }
      if (!allowed) {
        throw new HttpError(403, `Cannot sign ${JSON.stringify(path)}: this token may not GET it`);
      }
      links.push({ path, url: await signLink(key, path, expires), expires });
    }
    return Response.json({ links }, { headers: { "cache-control": "no-store" } });
  };
}

function parseBody(body: unknown): { paths: string[]; ttl: number } {
  const { paths, ttl = DEFAULT_TTL } = (body ?? {}) as { paths?: unknown; ttl?: unknown };
  if (
    !Array.isArray(paths) || paths.length === 0 || paths.length > MAX_PATHS ||
    !paths.every((p) => typeof p === "string" && p.length <= 4096)
  ) {
    throw new HttpError(
      400,
      `"paths" must be a list of 1 to ${MAX_PATHS} paths, such as ["/media/a.mp4"]`,
    );
  }
  if (!Number.isSafeInteger(ttl) || (ttl as number) < 1 || (ttl as number) > MAX_TTL) {
    throw new HttpError(400, `"ttl" must be a number of seconds from 1 to ${MAX_TTL}`);
  }
  for (const path of paths as string[]) {
    if (!path.startsWith("/") || path.startsWith("//") || path.includes("#")) {
      throw new HttpError(
        400,
        `Cannot sign ${JSON.stringify(path)}: give a path such as /media/a.mp4`,
      );
    }
    if (/[?&](expires|sig)=/.test(path)) {
      throw new HttpError(
        400,
        `Cannot sign ${JSON.stringify(path)}: it has expires or sig already`,
      );
    }
  }
  return { paths: paths as string[], ttl: ttl as number };
}

/** The body as JSON, read up to {@linkcode MAX_BODY} bytes. */
async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(400, "Send the paths as Content-Type: application/json");
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  if (req.body !== null) {
    for await (const chunk of req.body) {
      size += chunk.byteLength;
      if (size > MAX_BODY) throw new HttpError(413, `The body is over ${MAX_BODY} bytes`);
      chunks.push(chunk);
    }
  }
  const text = new TextDecoder().decode(
    new Uint8Array(await new Blob(chunks).arrayBuffer()),
  );
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "The body is not JSON");
  }
}
