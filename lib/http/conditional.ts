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

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const IMF_FIXDATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE =
  /^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Parses an HTTP-date (RFC 9110 §5.6.7) in any of its three forms. Anything
 * else is not a date, even what `Date.parse` would accept ("0", "2020"): the
 * conditional fields must then be ignored, not compared.
 *
 * @param value The field value.
 * @param now For the two-digit years of the RFC 850 form. @default Date.now()
 * @returns Milliseconds since the epoch, or `undefined`.
 * @example
 * ```ts
 * parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"); // 784111777000
 * parseHttpDate("1994-11-06"); // undefined
 * ```
 */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  let day: string, month: string, year: string, hh: string, mm: string, ss: string;
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(value)) !== null) [, day, month, year, hh, mm, ss] = m;
  else if ((m = ASCTIME_DATE.exec(value)) !== null) [, month, day, hh, mm, ss, year] = m;
  else if ((m = RFC850_DATE.exec(value)) !== null) {
    [, day, month, year, hh, mm, ss] = m;
    // A two-digit year more than 50 years ahead is the last such year in the past.
    let full = 2000 + Number(year);
    if (full > new Date(now).getUTCFullYear() + 50) full -= 100;
    year = String(full);
  } else return undefined;
  const monthIndex = MONTHS.indexOf(month);
  const [d, h, min, s] = [Number(day), Number(hh), Number(mm), Number(ss)];
  if (monthIndex < 0 || h > 23 || min > 59 || s > 60) return undefined;
  const ms = Date.UTC(Number(year), monthIndex, d, h, min, s);
  // Rejects 31 Feb and friends, which Date.UTC would roll into March.
  return new Date(Date.UTC(Number(year), monthIndex, d)).getUTCDate() === d ? ms : undefined;
}

/** Parses an HTTP-date to whole seconds, or `undefined` when it is not one. */
function httpDateSeconds(value: string | null): number | undefined {
  const ms = value === null ? undefined : parseHttpDate(value.trim());
  return ms === undefined ? undefined : Math.floor(ms / 1000);
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
