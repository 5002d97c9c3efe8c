/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * enough to assert exact values: every sample line must parse, and every
 * sample must belong to a family announced by `# TYPE`.
 *
 * @module
 */

/** One metric family: its type, help and samples. */
export interface MetricFamily {
  type: string;
  help: string;
  /** Sample name plus sorted labels, such as `x_total{route="media"}`, to its value. */
  samples: Map<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;
const SUFFIXES = ["_bucket", "_count", "_sum", "_total", "_created"];

function parseLabels(text: string, line: string): [string, string][] {
  const labels: [string, string][] = [];
  let rest = text;
  for (let guard = 0; rest !== "" && guard < 100; guard++) {
    const match = LABEL.exec(rest);
    if (match === null) throw new SyntaxError(`Bad labels in ${JSON.stringify(line)}`);
    labels.push([match[1], match[2].replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c)]);
    rest = rest.slice(match[0].length);
  }
  return labels.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The key {@linkcode parseMetrics} files a sample under.
 *
 * @example
 * ```ts
 * sampleKey("sluice_requests_total", { route: "media", status: "200" });
 * // 'sluice_requests_total{route="media",status="200"}'
 * ```
 */
export function sampleKey(name: string, labels: Record<string, string> = {}): string {
  const sorted = Object.entries(labels).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  if (sorted.length === 0) return name;
  return `${name}{${sorted.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

/**
 * Parses exposition text into families by name.
 *
 * @param text The body of `GET /metrics`.
 * @returns The families.
 * @throws {SyntaxError} On any line that is not a comment, blank or a sample.
 */
export function parseMetrics(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) families.set(name, f = { type: "", help: "", samples: new Map() });
    return f;
  };
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      if (comment[1] === "TYPE") family(comment[2]).type = comment[3];
      else family(comment[2]).help = comment[3];
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new SyntaxError(`Not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = "", valueText] = match;
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(
      valueText,
    );
    if (Number.isNaN(value) && valueText !== "NaN") {
      throw new SyntaxError(`Bad value in ${JSON.stringify(line)}`);
    }
    const owner = familyOf(families, name);
    if (owner === undefined) throw new SyntaxError(`Sample of no announced family: ${line}`);
    const labels = Object.fromEntries(parseLabels(labelText, line));
    owner.samples.set(sampleKey(name, labels), value);
  }
  return families;
}

/** The family a sample name belongs to (`x_total` and `x_bucket` belong to `x`). */
function familyOf(families: Map<string, MetricFamily>, name: string): MetricFamily | undefined {
  const base = families.has(name)
    ? name
    : SUFFIXES.map((s) => name.endsWith(s) ? name.slice(0, -s.length) : "").find((b) =>
      b !== "" && families.has(b)
    );
  return base === undefined ? undefined : families.get(base);
}

/**
 * One sample's value from parsed metrics. A sample that is not there is an
 * error, never 0: a metric that disappeared or was renamed must not pass a
 * "zero" check. For a labelled series prom-client has not seen yet, use
 * {@linkcode isUnobserved}.
 *
 * @throws {Error} When the sample is not in the scrape.
 */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const key = sampleKey(name, labels);
  const family = familyOf(families, name);
  const value = family?.samples.get(key);
  if (value !== undefined) return value;
  const near = family === undefined
    ? "its family is not announced"
    : `the family has ${[...family.samples.keys()].join(", ") || "no samples"}`;
  throw new Error(`No sample ${key} in the scrape; ${near}`);
}

/**
 * Whether a labelled series has never been observed: its family is announced
 * (so the metric exists) but has no sample with these labels, as prom-client
 * leaves out series it has not seen.
 *
 * @throws {Error} When the family itself is missing from the scrape.
 */
export function isUnobserved(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string>,
): boolean {
  const family = familyOf(families, name);
  if (family === undefined) throw new Error(`No metric family for ${name} in the scrape`);
  return !family.samples.has(sampleKey(name, labels));
}
