/**
 * Conditional requests for a representation with an ETag and a Last-Modified
 * date, evaluated in the order of RFC 9110 §13.2.2.
 *
 * Each rule is a named predicate, as in pillarjs/send, so the order below reads
 * like the RFC's list.
 *
 * @module
 */

import { isStrongMatch, isWeakMatch, parseEtagList } from "./etag.ts";

/** What the server knows of the selected representation. */
export interface Validators {
  /** The strong ETag, quoted. */
  etag: string;
  /** Last modification, in milliseconds since the epoch. */
  lastModified: number;
}

/** The outcome of the preconditions. */
export type Precondition = "proceed" | "not-modified" | "failed";

/** Parses an HTTP-date to whole seconds, or `undefined` when it is not one. */
function httpDateSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** §13.1.1: If-Match fails unless `*` or a strongly matching tag is listed. */
export function isIfMatchFailure(header: string, v: Validators): boolean {
  const tags = parseEtagList(header);
  if (tags[0] === "*") return false;
  return !tags.some((tag) => isStrongMatch(tag, v.etag));
}

/** §13.1.4: fails when the file changed after the given date. */
export function isUnmodifiedSinceFailure(header: string, v: Validators): boolean {
  const date = httpDateSeconds(header);
  return date !== undefined && seconds(v.lastModified) > date;
}

/** §13.1.2: true when `*` or a weakly matching tag is listed. */
export function isNoneMatchHit(header: string, v: Validators): boolean {
  const tags = parseEtagList(header);
  if (tags[0] === "*") return true;
  return tags.some((tag) => isWeakMatch(tag, v.etag));
}

/** §13.1.3: true when the file has not changed since the given date. */
export function isNotModifiedSince(header: string, v: Validators): boolean {
  const date = httpDateSeconds(header);
  return date !== undefined && seconds(v.lastModified) <= date;
}

/**
 * Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since
 * in the order of RFC 9110 §13.2.2, for a GET or HEAD.
 *
 * @param headers The request headers.
 * @param v The representation's validators.
 * @returns `"failed"` (412), `"not-modified"` (304) or `"proceed"`.
 * @example
 * ```ts
 * const h = new Headers({ "if-none-match": '"a"' });
 * evaluatePreconditions(h, { etag: '"a"', lastModified: 0 }); // "not-modified"
 * ```
 */
export function evaluatePreconditions(headers: Headers, v: Validators): Precondition {
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null) {
    if (isIfMatchFailure(ifMatch, v)) return "failed";
  } else {
    const ius = headers.get("if-unmodified-since");
    if (ius !== null && isUnmodifiedSinceFailure(ius, v)) return "failed";
  }
  const inm = headers.get("if-none-match");
  if (inm !== null) {
    if (isNoneMatchHit(inm, v)) return "not-modified";
  } else {
    const ims = headers.get("if-modified-since");
    if (ims !== null && isNotModifiedSince(ims, v)) return "not-modified";
  }
  return "proceed";
}

/**
 * RFC 9110 §13.1.5: whether a Range may be honoured given `If-Range`. An
 * entity tag must match strongly; a date must equal Last-Modified exactly, and
 * only counts when Last-Modified is itself strong (at least a second older
 * than `now`, §8.8.2.2).
 *
 * @param header The `If-Range` value, or null when absent.
 * @param v The representation's validators.
 * @param now The time of the response, in ms. @default Date.now()
 * @returns True when the Range applies.
 */
export function isRangeFresh(header: string | null, v: Validators, now = Date.now()): boolean {
  if (header === null) return true;
  const value = header.trim();
  if (value.startsWith('"') || value.startsWith("W/")) return isStrongMatch(value, v.etag);
  const date = httpDateSeconds(value);
  if (date === undefined) return false;
  const lastModifiedIsStrong = now - v.lastModified >= 1000;
  return lastModifiedIsStrong && date === seconds(v.lastModified);
}
