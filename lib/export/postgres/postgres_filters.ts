/**
 * Filters, orders and resume tokens on PostgreSQL (issue 15): the
 * dialect lib/export/filter_sql.ts writes its SQL in, the value kind of each
 * catalog type, and the checks that keep a value PostgreSQL would refuse
 * (a timestamp that does not parse, a NUL in text) from reaching it: such a
 * value is a 400 naming the column and its type, never a database error.
 *
 * @module
 */

import { HttpError } from "../../http/http_error.ts";
import type { ColumnInfo, SqlValue, ValueKind } from "../column_kind.ts";
import { queryFrom, queryOrder, type TableQuery } from "../export_source.ts";
import type { SqlDialect } from "../filter_sql.ts";
import type { FilterCondition } from "../row_filter.ts";

/**
 * PostgreSQL: `$n` placeholders. Numbers, text and bytes are left untyped,
 * so the server gives each the type of the column it is compared with (and
 * an index on the column is used). A value of kind `other` (a timestamp,
 * date, time, numeric, boolean or uuid) is sent as text and cast in SQL,
 * `$n::text::timestamp with time zone`: typed by the server alone, the
 * driver would turn it into a JavaScript Date (losing microseconds and
 * failing on `infinity`) or a boolean (`"true"` becoming false). The cast is
 * to the base type, without a modifier (`numeric(10,2)` would round the
 * value compared with).
 * `like` is LIKE (case-sensitive), `ilike` ILIKE, both with `\` escaping
 * `%`, `_` and itself.
 */
export const POSTGRES_DIALECT: SqlDialect = {
  placeholder: (n, column) => column.kind === "other" ? `$${n}::text::${castOf(column)}` : `$${n}`,
  match(columnSql, param, pattern, caseInsensitive) {
    return {
      sql: `${columnSql} ${caseInsensitive ? "ILIKE" : "LIKE"} ${param} ESCAPE '\\'`,
      value: pattern.replace(/[\\%_]/g, "\\$&").replaceAll("*", "%"),
    };
  },
};

/** The base types a value of kind `other` is cast to: only these reach SQL. */
const CASTS = new Set([
  "numeric",
  "boolean",
  "date",
  "timestamp without time zone",
  "timestamp with time zone",
  "time without time zone",
  "time with time zone",
  "uuid",
]);

/** A column's type without its modifier (`timestamp(3) with time zone` → `timestamp with time zone`). */
function castOf(column: ColumnInfo): string {
  const base = column.type.replace(/\(\d+(,\d+)?\)/g, "");
  // checkPgQuery() refuses other types first; a name from elsewhere never reaches SQL.
  if (!CASTS.has(base)) throw new TypeError(`Cannot compare ${column.name}: type ${column.type}`);
  return base;
}

/** What a catalog type filters and orders as, and how its values are checked. */
interface PgTypeRule {
  kind: ValueKind;
  /** For `other`: whether the text is a value PostgreSQL reads as this type. */
  check?: (text: string) => boolean;
  /** What the value must be, for the 400. */
  want?: string;
}

const DATE = String.raw`\d{4,}-\d{2}-\d{2}`;
const TIME = String.raw`\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?`;
const ZONE = String.raw`(Z|[+-]\d{2}(:?\d{2}(:?\d{2})?)?)`;
const ERA = String.raw`( BC)?`;
const INFINITE = /^[+-]?infinity$/i;

/** Matches ISO 8601 dates and times, in PostgreSQL's own output form too (space for T, `+00`). */
function isoPattern(parts: string): RegExp {
  return new RegExp(`^${parts}$`, "i");
}

const TIMESTAMP = isoPattern(`${DATE}([T ]${TIME}${ZONE}?)?${ERA}`);
const DATE_ONLY = isoPattern(`${DATE}${ERA}`);
const TIME_ONLY = isoPattern(`${TIME}${ZONE}?`);

/** The month and day of an ISO date are real ones (`2026-02-30` is not). */
function realDate(text: string): boolean {
  const m = /^(\d{4,})-(\d{2})-(\d{2})/.exec(text);
  if (m === null) return true; // a time of day
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const days = [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][month - 1];
  if (day > days) return false;
  const t = /[T ](\d{2}):(\d{2})(?::(\d{2}))?/i.exec(text.slice(10));
  return t === null || (Number(t[1]) <= 24 && Number(t[2]) <= 59 && Number(t[3] ?? 0) <= 60);
}

function timeOfDay(text: string): boolean {
  const [h, m, s] = text.split(/[:.+-Z]/i).map(Number);
  return h <= 24 && m <= 59 && (s === undefined || Number.isNaN(s) || s <= 60);
}

const RULES = new Map<number, PgTypeRule>([
  [21, { kind: "integer" }], // int2
  [23, { kind: "integer" }], // int4
  [20, { kind: "integer" }], // int8
  [26, { kind: "integer" }], // oid
  [700, { kind: "real" }], // float4
  [701, { kind: "real" }], // float8
  [25, { kind: "text" }], // text
  [1043, { kind: "text" }], // varchar
  [1042, { kind: "text" }], // bpchar
  [19, { kind: "text" }], // name
  [17, { kind: "blob" }], // bytea
  // Bound as the client's text, so numeric(30,2) keeps every digit (a double would not).
  [1700, {
    kind: "other",
    check: (t) =>
      /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^([+-]?Infinity|NaN)$/.test(t),
    want: "a decimal number",
  }],
  [16, { kind: "other", check: (t) => /^(true|false)$/.test(t), want: "true or false" }],
  [1082, {
    kind: "other",
    check: (t) => INFINITE.test(t) || (DATE_ONLY.test(t) && realDate(t)),
    want: "a date such as 2026-01-31",
  }],
  [1114, {
    kind: "other",
    check: (t) => INFINITE.test(t) || (TIMESTAMP.test(t) && realDate(t)),
    want: "a timestamp such as 2026-01-31T12:00:00",
  }],
  [1184, {
    kind: "other",
    check: (t) => INFINITE.test(t) || (TIMESTAMP.test(t) && realDate(t)),
    want: "a timestamp such as 2026-01-31T12:00:00Z",
  }],
  [1083, {
    kind: "other",
    check: (t) => TIME_ONLY.test(t) && timeOfDay(t),
    want: "a time such as 12:30:00",
  }],
  [1266, {
    kind: "other",
    check: (t) => TIME_ONLY.test(t) && timeOfDay(t),
    want: "a time such as 12:30:00+02",
  }],
  [2950, {
    kind: "other",
    check: (t) => /^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(t),
    want: "a UUID",
  }],
]);

/** The catalog type names filters and orders take, for the 400 that names them. */
const SUPPORTED =
  "smallint, integer, bigint, oid, real, double precision, numeric, text, varchar, char, name, " +
  "bytea, boolean, date, timestamp, timestamptz, time, timetz, uuid";

/**
 * A column as filters, orders and tokens see it, from the catalog.
 *
 * @param name The column.
 * @param oid Its type's OID (`pg_attribute.atttypid`).
 * @param type Its type as `format_type()` writes it, for messages.
 * @param notNull Declared NOT NULL (or the key).
 * @returns The column info; a type without a rule is `other` and refused by {@linkcode checkPgQuery}.
 */
export function pgColumnInfo(
  name: string,
  oid: number,
  type: string,
  notNull: boolean,
): ColumnInfo {
  return { name, kind: RULES.get(oid)?.kind ?? "other", type, notNull };
}

/**
 * Checks the filters, order and resume position of a query against what
 * PostgreSQL would accept, before any SQL runs.
 *
 * @param query The query, its filter and order built from {@linkcode pgColumnInfo}'s columns.
 * @param types Each column's type OID.
 * @returns The values PostgreSQL will still read as their column's type (kind
 * `other`, and `real` columns): a form check cannot know every range, so
 * {@linkcode pgValueProbe} has PostgreSQL read them before the export's query.
 * @throws {HttpError} 400 naming the column and its type for a value of the
 * wrong form, text holding NUL (PostgreSQL text cannot), or a column whose
 * type cannot be filtered or ordered on.
 */
export function checkPgQuery(
  query: TableQuery,
  types: ReadonlyMap<string, number>,
): PgTypedValue[] {
  const typed: PgTypedValue[] = [];
  const rule = (column: ColumnInfo, what: string) => {
    const found = RULES.get(types.get(column.name) ?? 0);
    if (found === undefined) {
      throw new HttpError(
        400,
        `Column ${JSON.stringify(column.name)} is ${column.type}: it cannot be ${what} here ` +
          `(types that can: ${SUPPORTED})`,
        { extensions: { column: column.name, columnType: column.type } },
      );
    }
    return found;
  };
  const value = (column: ColumnInfo, found: PgTypeRule, v: SqlValue) => {
    if (typeof v === "number" && types.get(column.name) === FLOAT4) {
      typed.push({ column, text: String(v), cast: "real" });
    }
    if (typeof v !== "string") return;
    if (v.includes("\0")) {
      throw new HttpError(
        400,
        `Column ${JSON.stringify(column.name)} is ${column.type}: PostgreSQL text cannot hold NUL`,
        { extensions: { column: column.name, columnType: column.type } },
      );
    }
    if (found.check !== undefined && !found.check(v)) {
      throw new HttpError(
        400,
        `Column ${JSON.stringify(column.name)} is ${column.type}: the value must be ` +
          `${found.want}; got ${JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}…` : v)}`,
        { extensions: { column: column.name, columnType: column.type } },
      );
    }
    if (column.kind === "other") typed.push({ column, text: v, cast: castOf(column) });
  };
  const conditions: FilterCondition[] = [
    ...(query.filter?.all ?? []),
    ...(query.filter?.any ?? []),
  ];
  for (const c of conditions) {
    const found = rule(c.column, "filtered on");
    switch (c.op) {
      case "in":
        for (const v of c.values) value(c.column, found, v);
        break;
      case "like":
      case "ilike":
        value(c.column, found, c.pattern);
        break;
      case "is":
        break;
      default:
        value(c.column, found, c.value);
    }
  }
  if (query.order === undefined) return typed;
  const order = queryOrder(query);
  const from = queryFrom(query);
  order.forEach((term, i) => {
    const found = rule(term.column, "ordered by");
    if (from !== undefined) value(term.column, found, from[i]);
  });
  return typed;
}

/** A request's value that PostgreSQL reads as its column's type. */
export interface PgTypedValue {
  column: ColumnInfo;
  /** The value as sent. */
  text: string;
  /** The base type it is read as. */
  cast: string;
}

/** `float4`'s OID: a JS number it cannot hold (1e39, 1e-50) is an error there. */
const FLOAT4 = 700;

/**
 * Has PostgreSQL read each value as its column's type, in one statement, so a
 * value it refuses is a 400 naming the column before the export's query runs.
 * The form checks above leave ranges to PostgreSQL: years past 294276 or
 * before 1 (`0000-01-01`), hour 24 with minutes, zone offsets past ±15:59,
 * numerics past 131,072 digits (`1e1000000`), reals past ±3.4e38. Those were
 * errors from the database (500) when they reached the export's query.
 *
 * @param conn Runs the statement (in the export's transaction: an error ends it,
 * and the export is refused anyway).
 * @param values From {@linkcode checkPgQuery}.
 * @throws {HttpError} 400 naming the column, its type and PostgreSQL's reason,
 * for a data exception (SQLSTATE class 22); other errors as they are.
 */
export async function pgValueProbe(
  conn: { unsafe(sql: string, params: string[]): PromiseLike<unknown> },
  values: readonly PgTypedValue[],
): Promise<void> {
  if (values.length === 0) return;
  const sql = `SELECT ${values.map((v, i) => `$${i + 1}::text::${v.cast}`).join(", ")}`;
  try {
    await conn.unsafe(sql, values.map((v) => v.text));
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code !== "string" || !code.startsWith("22")) throw error;
    const reason = String(message);
    // PostgreSQL's message quotes the value it refused (most do); else the first of that type.
    const culprit = values.find((v) => reason.includes(`"${v.text}"`)) ??
      values.find((v) => reason.includes(v.cast)) ?? values[0];
    const { column } = culprit;
    const text = culprit.text.length > 100 ? `${culprit.text.slice(0, 100)}…` : culprit.text;
    throw new HttpError(
      400,
      `Column ${JSON.stringify(column.name)} is ${column.type}: PostgreSQL cannot read ` +
        `${JSON.stringify(text)} as one (${reason})`,
      { extensions: { column: column.name, columnType: column.type } },
    );
  }
}
