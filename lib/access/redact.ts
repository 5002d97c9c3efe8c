/**
 * Keeps credentials out of logged paths: the value of `sig` (a signed link
 * works for anyone holding it until it expires) and of `token` or
 * `access_token` (a token a client put in the URL by mistake).
 *
 * @module
 */

const SECRET = /([?&](?:sig|token|access_token)=)[^&]*/gi;

/**
 * A path and query with secret parameter values replaced.
 *
 * @param target Such as `/media/a.mp4?expires=1&sig=abc`.
 * @returns Such as `/media/a.mp4?expires=1&sig=REDACTED`.
 * @example
 * ```ts
 * redactTarget("/a?sig=x&b=1"); // "/a?sig=REDACTED&b=1"
 * ```
 */
export function redactTarget(target: string): string {
  return target.replace(SECRET, "$1REDACTED");
}
