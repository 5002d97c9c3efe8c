/**
 * One error type for expected HTTP failures, and one place that turns any
 * error into an RFC 9457 problem response.
 *
 * @module
 */

/** Reason phrases for the statuses Sluice answers with. */
const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  412: "Precondition Failed",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * The reason phrase for a status, as problem bodies and NDJSON error records
 * title it.
 *
 * @param status The HTTP status.
 * @returns Its title, or "Error" for a status Sluice does not answer with.
 */
export function statusTitle(status: number): string {
  return TITLES[status] ?? "Error";
}

/** Options for {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** Extra response headers, such as `Allow` or `Content-Range`. @default {} */
  headers?: HeadersInit;
  /** Extra members of the problem body (RFC 9457 §3.2 extensions). @default {} */
  extensions?: Record<string, unknown>;
  /** The underlying error, kept for the log; never sent to the client. */
  cause?: unknown;
}

/**
 * An expected failure with an HTTP status. Its message is safe to show to the
 * client: never put a file-system path or a stack in it.
 *
 * @example
 * ```ts
 * throw new HttpError(404, 'No file "a.mp4" in the media folder');
 * ```
 */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Headers;
  readonly extensions: Record<string, unknown>;

  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.headers = new Headers(options.headers);
    this.extensions = options.extensions ?? {};
  }
}

/**
 * Builds an `application/problem+json` response (RFC 9457).
 *
 * @param status The HTTP status.
 * @param detail A human-readable explanation, safe to show the client.
 * @returns The problem response.
 * @example
 * ```ts
 * const res = problemResponse(400, '"rows" must be a non-negative integer');
 * ```
 */
export function problemResponse(
  status: number,
  detail: string,
  options: HttpErrorOptions = {},
): Response {
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/problem+json");
  headers.set("cache-control", "no-store");
  const body = JSON.stringify({
    type: "about:blank",
    title: statusTitle(status),
    status,
    detail,
    ...options.extensions,
  }) + "\n";
  return new Response(body, { status, headers });
}

/**
 * Turns whatever a handler threw into a response: an {@linkcode HttpError}
 * keeps its status and message; anything else is a 500 whose message stays in
 * the server log.
 *
 * @param error What was thrown.
 * @returns The problem response.
 */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    return problemResponse(error.status, error.message, error);
  }
  return problemResponse(500, "The server failed to answer this request; see its log.");
}
